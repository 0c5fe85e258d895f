// What a malformed request parameter reads (new-user trial): a run parameter of the wrong type
// named the types it may be, not zod's bare "Invalid input"; a count in a query said it must be
// digits, not "must match pattern /^\d+$/".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
  const doc = { slug: 'echo', name: 'echo', dataset: { rows: [{ q: 'a' }] }, targets: [{ id: 'c', type: 'code', code: 'return row.q' }] };
  expect((await t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
});
afterAll(() => t.close());

type Refusal = { error: string; message: string; issues: { path: (string | number)[]; message: string }[] };

describe('a malformed parameter', () => {
  it('of a run, of no type a parameter may be, names the types', async () => {
    const res = await t.req('POST', '/api/experiments/echo/run', { body: { parameters: { a: { x: 1 }, b: [1] } } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Refusal;
    expect(body.issues).toEqual([
      { path: ['parameters', 'a'], message: 'expected string, number or boolean, received object' },
      { path: ['parameters', 'b'], message: 'expected string, number or boolean, received array' },
    ]);
  });

  it('of a page, not digits, says it must be a whole number', async () => {
    const started = (await (await t.req('POST', '/api/experiments/echo/run', { body: {} })).json()) as { runId: string };
    for (const url of [`/api/experiments/runs/${started.runId}/results?limit=abc`, `/api/experiments/runs/${started.runId}/rows?offset=-1`]) {
      const res = await t.req('GET', url);
      expect(res.status, url).toBe(400);
      const body = (await res.json()) as Refusal;
      expect(body.issues.map((i) => i.message), url).toEqual(['must be a whole number (digits only)']);
    }
  });
});
