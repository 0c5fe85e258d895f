// A query compiled once must run exactly what Kysely would have built fresh with the same values,
// on both dialects: same SQL text, same parameters in the same order.
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { CompiledShapes } from './compiled.js';

interface Db {
  t: { id: string; n: number; note: string | null; at: number };
}

const sqlite = new SQLite(':memory:');
const pool = new pg.Pool({ connectionString: 'postgres://127.0.0.1:5432/test' });
const dialects = [
  { name: 'sqlite', db: new Kysely<Db>({ dialect: new SqliteDialect({ database: sqlite }) }) },
  // Compiling never connects: the pool stays idle.
  { name: 'postgres', db: new Kysely<Db>({ dialect: new PostgresDialect({ pool }) }) },
];
afterAll(async () => {
  sqlite.close();
  await pool.end();
});

describe.each(dialects)('compiled queries on $name', ({ db }) => {
  it('fills in an update with the values of each call, keeping constants', () => {
    const shapes = new CompiledShapes();
    const update = (v: { id: string; by: number; at: number }) =>
      shapes.bind('u', (p) => db.updateTable('t').set((eb) => ({ n: eb('n', '+', p<number>('by')), at: p<number>('at'), note: 'fixed' })).where('id', '=', p<string>('id')).returning('n'), v);
    for (const v of [{ id: 'a', by: 2, at: 10 }, { id: 'b', by: -7, at: 99 }]) {
      const fresh = db.updateTable('t').set((eb) => ({ n: eb('n', '+', v.by), at: v.at, note: 'fixed' })).where('id', '=', v.id).returning('n').compile();
      const bound = update(v);
      expect(bound.sql).toBe(fresh.sql);
      expect(bound.parameters).toEqual(fresh.parameters);
    }
  });

  it('keeps one shape per key (a multi-row insert per row count), each matching a fresh build', () => {
    const shapes = new CompiledShapes(2);
    const insert = (rows: Db['t'][]) => {
      const values: Record<string, unknown> = {};
      rows.forEach((r, i) => Object.entries(r).forEach(([k, v]) => (values[`${i}.${k}`] = v)));
      return shapes.bind(`rows:${rows.length}`, (p) => db.insertInto('t').values(rows.map((_, i) => ({ id: p(`${i}.id`), n: p(`${i}.n`), note: p(`${i}.note`), at: p(`${i}.at`) }))), values);
    };
    const row = (i: number): Db['t'] => ({ id: `r${i}`, n: i, note: i % 2 ? null : `note ${i}`, at: 1000 + i });
    for (const count of [1, 3, 1, 2, 3]) {
      const rows = Array.from({ length: count }, (_, i) => row(i + count));
      const fresh = db.insertInto('t').values(rows).compile();
      expect(insert(rows)).toMatchObject({ sql: fresh.sql, parameters: fresh.parameters });
    }
  });

  it('refuses a call that lacks a value instead of running a marker', () => {
    const shapes = new CompiledShapes();
    expect(() => shapes.bind('s', (p) => db.selectFrom('t').selectAll().where('id', '=', p<string>('id')), {})).toThrow('no value for id');
  });
});
