import fc from 'fast-check';
import { type AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { jsonAnswer, jsonPieces } from './json-answer.js';

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ question: `question ${i} ${'é'.repeat(i % 7)}`, n: i, tags: ['a', undefined, { x: i }] }));

/** GET / on a real server on loopback, answered with jsonAnswer(value). */
async function get(value: unknown, budgetMs?: number): Promise<Response & { done: () => Promise<void> }> {
  const hono = new Hono();
  hono.get('/', (c) => jsonAnswer(c, value, 201, budgetMs));
  const server = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  return Object.assign(res, { done: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}

describe('large JSON answers', () => {
  it('writes exactly what JSON.stringify writes, for any JSON-like value', () => {
    const value = fc.letrec((tie) => ({
      any: fc.oneof(
        { depthSize: 'small' },
        fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.date({ noInvalidDate: true }),
        // toJSON that drops the value, or answers by its key; boxed primitives.
        fc.constant({ toJSON: () => undefined }), fc.constant({ toJSON: (key: string) => `key ${key}` }),
        fc.string().map((x) => new String(x)), fc.integer().map((x) => new Number(x)),
        fc.array(tie('any'), { maxLength: 5 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie('any'), { maxKeys: 5 }),
      ),
    })).any;
    fc.assert(fc.property(value, (v) => {
      const pieces = [...jsonPieces(v)];
      expect(pieces.length === 0 ? undefined : pieces.join('')).toBe(JSON.stringify(v));
    }), { numRuns: 500 });
  });

  it('answers a small value as one body with its length', async () => {
    const res = await get({ ok: true, rows: rows(3) });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expect(text).toBe(JSON.stringify({ ok: true, rows: rows(3) }));
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    await res.done();
  });

  it('streams a value that takes longer than the budget, a turn of the event loop at a time', async () => {
    const value = { id: 'exp_1', document: { name: 'big', dataset: { rows: rows(40_000) } } };
    const res = await get(value, 0);
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(JSON.parse(await res.text())).toEqual(JSON.parse(JSON.stringify(value)));
    await res.done();

    // The same answer read without a socket in between: the turns counted are the answer's own.
    const hono = new Hono();
    hono.get('/', (c) => jsonAnswer(c, value, 200, 0));
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const text = await (await hono.request('/')).text();
    counting = false;
    expect(text).toBe(JSON.stringify(value));
    // ≈ 3 MB in pieces of 256 KB, one or two a turn. Written as one body, it would have been
    // serialized and handed over within a single turn (0 counted).
    expect(turns).toBeGreaterThanOrEqual(5);
  });
});
