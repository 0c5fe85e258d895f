// The admin commands on PostgreSQL with ASSAY_DB_SCHEMA naming a schema that holds no Assay
// database (a typo, another installation's name): refused with exit 2 naming the schema, and the
// schema is not created. Before, opening the stores made and migrated it, and the commands
// answered as if the server's database were empty ("No project \"default\"", "No projects yet").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { TEST_PG_URL } from '../testing/databases.js';
import { spawnAssay } from '../testing/spawn.js';

const schema = `assay_cli_schema_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
});
afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

async function assay(args: string[]) {
  const url = new URL(TEST_PG_URL);
  url.password = 'hunter2secret';
  // The test server trusts local connections, so the password is ignored; it must not be printed.
  const p = spawnAssay(args, { DATABASE_URL: url.toString(), ASSAY_DB_SCHEMA: schema, ASSAY_SECRET_KEY: 'admin-schema-test-key-0123456789abcdef' });
  return { code: await p.exited, out: p.output() };
}

const schemaExists = async () => ((await admin.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])).rowCount ?? 0) > 0;

describe('admin commands and a schema with no Assay database', { timeout: 120_000 }, () => {
  it('refuses list, create-key and revoke (exit 2, naming the schema, password masked) and creates nothing', async () => {
    for (const args of [['projects', 'list'], ['keys', 'list', '--project', 'default'], ['keys', 'create', '--project', 'default'], ['keys', 'revoke', 'key_x']]) {
      const { code, out } = await assay(args);
      expect(code, args.join(' ')).toBe(2);
      expect(out).toContain(`error: no Assay database in schema "${schema}" (ASSAY_DB_SCHEMA) of DATABASE_URL=postgres://***@`);
      expect(out).not.toContain('hunter2secret');
    }
    expect(await schemaExists()).toBe(false);
  });

  it('works once the schema holds one: `assay projects create` makes it, as the first start would', async () => {
    const created = await assay(['projects', 'create', 'Schema Team']);
    expect(created.code, created.out).toBe(0);
    expect(await schemaExists()).toBe(true);
    const listed = await assay(['projects', 'list']);
    expect(listed.code, listed.out).toBe(0);
    expect(listed.out).toMatch(/^ {2}schema-team {2}proj_\w+ /m);
  });
});
