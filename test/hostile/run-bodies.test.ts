// Hostile run requests (issue 6): random and malicious bodies for POST /{slug}/run under both
// prefixes — wrong types, huge arrays, nested junk, prototype keys, odd content types and
// Accept headers. Whatever arrives: no 500, no hang, a JSON error naming what is wrong, and a
// run is created exactly when the answer is 200, with `total` = rows × targets × repeats as
// the body asked. Every accepted run ends (big ones are aborted) and the server stays up.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRequestSchema } from '../../src/core/model/run.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { waitForRun } from '../../src/testing/runs.js';
import { expectHealthy, expectNoPollution, saneAnswer, seedFor, within } from './support.js';

const SEED = seedFor(60601);
const NUM_RUNS = 250;
const EXPERIMENT_ROWS = 3;
const DATASET_ROWS = 5;

let t: TestAssay;
let datasetId: string;
let otherDatasetId: string;

beforeAll(async () => {
  t = await startTestAssay({ maxBodyBytes: 4 * 1024 * 1024 });
  const created = await t.req('POST', '/api/experiments', {
    body: {
      slug: 'runme',
      name: 'Run me',
      dataset: { rows: Array.from({ length: EXPERIMENT_ROWS }, (_, i) => ({ q: `q${i}`, expected: `q${i}` })) },
      targets: [
        { id: 'a', type: 'code', code: 'return typeof row.q === "string" ? row.q : null' },
        { id: 'b', type: 'code', code: 'return 1' },
      ],
      evaluators: [{ id: 'e', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
    },
  });
  expect(created.status).toBe(201);
  const ds = await t.req('POST', '/api/datasets', { body: { name: 'Rows', slug: 'ds', rows: Array.from({ length: DATASET_ROWS }, (_, i) => ({ q: `d${i}` })) } });
  datasetId = ((await ds.json()) as { id: string }).id;
  // A dataset of another project: naming it must behave as an unknown dataset.
  const other = await t.otherProject();
  const otherDs = await t.req('POST', '/api/datasets', { key: other.key, body: { name: 'Theirs', rows: [{ q: 'secret' }] } });
  otherDatasetId = ((await otherDs.json()) as { id: string }).id;
});
afterAll(() => t.close());

const junk = fc.oneof(
  { depthSize: 'small' },
  fc.anything({ maxDepth: 2, maxKeys: 4 }),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, true, -1, 0, 1.5, 1e308, '', '0', [], {}, [null], { length: 3 }, 'a'.repeat(10_000)),
);
const key = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('q', 'expected', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'a.b', '$', '{{q}}'));
const row = fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 });

const HUGE = {
  indicesOverLimit: Array.from({ length: 100_001 }, () => 0),
  /** Over the 4 MiB body limit: 413. */
  indicesOverBody: Array.from({ length: 2_500_000 }, () => 0),
  manyIndices: Array.from({ length: 100_000 }, (_, i) => i % 7),
  manyRows: Array.from({ length: 20_000 }, (_, i) => ({ q: `r${i}`, expected: `r${i}` })),
  deepRow: [JSON.parse('{"a":'.repeat(80) + '1' + '}'.repeat(80)) as unknown],
};

/** Bodies the schema accepts (a few still refused: data with dataset_id, no rows, …). */
const validObject = fc.tuple(
  fc.oneof(fc.constant({}), fc.record({ data: fc.array(row, { maxLength: 30 }) }), fc.record({ dataset_id: fc.constantFrom('ds', 'DS') })),
  fc.record(
  {
    parameters: fc.dictionary(key, fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true })), { maxKeys: 4 }),
    row_indices: fc.array(fc.nat(8), { maxLength: 40 }),
    concurrency: fc.integer({ min: 1, max: 1000 }),
    repeats: fc.integer({ min: 1, max: 3 }),
    targets: fc.subarray(['a', 'b', 'a'], { minLength: 1 }),
    evaluators: fc.subarray(['e']),
    budgetUsd: fc.double({ min: 0.001, max: 1e6, noNaN: true }),
    baselineRunId: fc.string({ maxLength: 30 }),
    metadata: fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
  },
  { requiredKeys: [] },
  ),
).map(([source, rest]) => ({ ...source, ...rest }) as Record<string, unknown>);

/** Per field: wrong types, out-of-range values, huge arrays, nested junk. */
const hostileField = fc.oneof(
  fc.tuple(fc.constant('data'), fc.oneof(fc.array(junk, { maxLength: 5 }), junk, fc.constantFrom(HUGE.manyRows, HUGE.deepRow, []))),
  fc.tuple(fc.constant('dataset_id'), fc.oneof(fc.constantFrom('nope', '', 'x'.repeat(201), '../ds', "ds' OR '1'='1", '%', 'ds_'), junk)),
  fc.tuple(fc.constant('parameters'), fc.oneof(fc.dictionary(key, junk, { maxKeys: 3 }), junk)),
  fc.tuple(
    fc.constant('row_indices'),
    fc.oneof(
      fc.array(fc.integer({ min: -3, max: 2 ** 31 }), { maxLength: 10 }),
      fc.array(fc.double(), { maxLength: 5 }),
      junk,
      fc.constantFrom(HUGE.indicesOverLimit, HUGE.indicesOverBody, HUGE.manyIndices, []),
    ),
  ),
  fc.tuple(fc.constantFrom('concurrency', 'repeats'), fc.oneof(fc.integer({ min: -1, max: 2000 }), junk)),
  fc.tuple(fc.constantFrom('targets', 'evaluators'), fc.oneof(fc.array(fc.constantFrom('a', 'e', 'zz', ''), { maxLength: 4 }), junk)),
  fc.tuple(fc.constantFrom('budgetUsd', 'baselineRunId', 'metadata', 'unknownField'), junk),
  fc.tuple(
    fc.constant('webhookUrl'),
    fc.oneof(junk, fc.constantFrom('not a url', 'file:///etc/passwd', 'javascript:alert(1)', 'http://127.0.0.1:9/hook', `http://x/${'a'.repeat(3000)}`)),
  ),
);

const bodyObject = fc
  .tuple(validObject, fc.array(hostileField, { maxLength: 2 }))
  .map(([valid, changes]) => {
    const out: Record<string, unknown> = { ...valid };
    for (const [field, value] of changes) out[field] = value;
    return out;
  });

/** Body text: mostly JSON objects, some with prototype keys, some broken or not objects. */
const bodyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: validObject.map((o) => JSON.stringify(o)) },
  { weight: 6, arbitrary: bodyObject.map((o) => JSON.stringify(o)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(bodyObject, fc.constantFrom('"__proto__":{"polluted":true}', '"constructor":{"prototype":{"polluted":true}}', '"data":[{"__proto__":{"polluted":1}}]', '"parameters":{"__proto__":{"x":1}}'))
      .map(([o, inject]) => {
        const text = JSON.stringify(o);
        return text === '{}' ? `{${inject}}` : `{${inject},${text.slice(1)}`;
      }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: bodyObject.chain((o) => fc.nat().map((n) => { const s = JSON.stringify(o); return s.slice(0, n % (s.length + 1)); })) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 100 }), fc.constantFrom('', '   ', 'null', '[]', '{"data": [1,2', '{"data":'.repeat(200), 'data: [1]\n', '\ufeff{}')) },
);

const slugArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant('runme') },
  { weight: 1, arbitrary: fc.constantFrom('nope', 'RUNME', 'runme%00', '..', 'runs', 'a'.repeat(300)) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent) },
);

interface Accepted {
  runId: string;
  total: number;
}

/** rows × targets × repeats as the (accepted) body asked, following SPEC §5. */
function expectedTotal(body: Record<string, unknown>): number {
  let rows = Array.isArray(body.data) ? body.data.length : typeof body.dataset_id === 'string' ? DATASET_ROWS : EXPERIMENT_ROWS;
  if (rows === 0 && body.parameters && Object.keys(body.parameters).length > 0) rows = 1;
  const indices = Array.isArray(body.row_indices) ? (body.row_indices as number[]).filter((i) => i < rows).length : rows;
  const targets = Array.isArray(body.targets) ? new Set(body.targets).size : 2;
  const repeats = typeof body.repeats === 'number' ? body.repeats : 1;
  return indices * targets * repeats;
}

describe('hostile run requests', () => {
  it('answer 200 with the right total or a JSON 4xx, never a 500 or a hang, and store runs only when accepted', async () => {
    const accepted: Accepted[] = [];
    let streamed = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/api/experiments', '/api/evaluations/v3'),
        slugArb,
        bodyText,
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/yaml', 'text/csv', 'multipart/form-data; boundary=x', '', 'application/json; charset=latin1'),
        fc.constantFrom(undefined, 'application/json', 'text/event-stream', '*/*', 'text/event-stream;q=0, application/json', 'text/html', 'text/event-stream, text/event-stream', 'x'.repeat(5000)),
        async (prefix, slug, text, contentType, accept) => {
          const headers: Record<string, string> = {};
          if (contentType) headers['content-type'] = contentType;
          if (accept) headers.accept = accept;
          // Large constant bodies are picked on purpose; only datasets named 'ds' resolve.
          const raw = text.replace('"dataset_id":"ds_"', `"dataset_id":"${otherDatasetId}"`).replace('"dataset_id":"DS"', `"dataset_id":"${datasetId}"`);
          const what = `POST ${prefix}/${slug}/run ${raw.slice(0, 120)}`;
          const res = await within(t.req('POST', `${prefix}/${slug}/run`, { raw, headers }), 15_000, what);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const isStream = (res.headers.get('content-type') ?? '').includes('text/event-stream');
          const body = await saneAnswer(res, what);
          expectNoPollution();
          if (res.status !== 200) {
            if (process.env.DEBUG_HOSTILE) console.log(res.status, String(body?.message).slice(0, 100));
            expect([400, 404, 413, 415], what).toContain(res.status);
            return;
          }
          // Accepted: the body (or its absence) satisfied the schema.
          // (A UTF-8 byte order mark is dropped when the body is decoded.)
          const unmarked = raw.replace(/^\ufeff/, '');
          const parsed = unmarked.trim() === '' ? {} : (JSON.parse(unmarked) as unknown);
          expect(runRequestSchema.safeParse(parsed ?? {}).success, what).toBe(true);
          expect(slug).toBe('runme');
          if (isStream) {
            streamed++;
            return;
          }
          const started = body as { runId: string; status: string; total: number; runUrl: string };
          expect(started.status).toBe('running');
          expect(started.runId).toMatch(/^run_[0-9A-Za-z]+$/);
          expect(started.total, what).toBe(expectedTotal((parsed ?? {}) as Record<string, unknown>));
          accepted.push({ runId: started.runId, total: started.total });
          // Keep the server light: big runs are stopped at once (they may also have ended).
          if (started.total > 60) {
            const abort = await t.req('POST', `${prefix}/runs/${started.runId}/abort`);
            expect([200, 409]).toContain(abort.status);
          }
        },
      ),
      { numRuns: NUM_RUNS, seed: SEED },
    );

    // Exactly the accepted requests made runs (both prefixes list the same runs).
    const listed: string[] = [];
    for (let page = 1; ; page++) {
      const res = await t.req('GET', `/api/evaluations/v3/runs?experimentSlug=runme&pageSize=200&page=${page}`);
      const list = (await res.json()) as { runs: { runId: string }[]; pagination: { hasMore: boolean } };
      listed.push(...list.runs.map((r) => r.runId));
      if (!list.pagination.hasMore) break;
    }
    expect(listed.length).toBe(accepted.length + streamed);
    for (const a of accepted) expect(listed).toContain(a.runId);

    // Every run ends, with exactly its total when it completed.
    for (const id of listed) {
      const run = await waitForRun(t, id, 30_000);
      expect(['completed', 'failed', 'stopped']).toContain(run.status);
      if (run.status === 'completed') expect(run.progress).toBe(run.total);
    }
    const byId = new Map(accepted.map((a) => [a.runId, a.total]));
    for (const [id, total] of byId) expect(((await (await t.req('GET', `/api/experiments/runs/${id}`)).json()) as { total: number }).total).toBe(total);

    // Nothing else changed: the experiment and the dataset are as they were saved.
    expect(((await (await t.req('GET', '/api/experiments/runme')).json()) as { version: number }).version).toBe(1);
    expect(((await (await t.req('GET', '/api/datasets/ds')).json()) as { rowCount: number; version: number })).toMatchObject({ rowCount: DATASET_ROWS, version: 1 });
    await expectHealthy(t);
    console.log(`run bodies: seed ${SEED}, ${NUM_RUNS} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${accepted.length + streamed} runs`);
  }, 90_000);

  it('bounds huge bodies: over the byte limit 413, over 100,000 indices 400, metadata or parameters over 64 KB 400, a deep row 400, 100,000 indices accepted', async () => {
    const cases: [unknown, number][] = [
      [{ row_indices: HUGE.indicesOverBody }, 413],
      [{ row_indices: HUGE.indicesOverLimit }, 400],
      // Metadata comes back with every poll and list page: a 65 KB label is refused, a small one is kept.
      [{ metadata: { notes: 'x'.repeat(65_536) } }, 400],
      [{ metadata: { zeros: Array.from({ length: 500_000 }, () => 0) } }, 400],
      // So do parameters (the poll body's `request`): 200,000 of them made each poll 3.2 MB.
      [{ parameters: Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`p${i}`, i])) }, 400],
      [{ parameters: { note: 'x'.repeat(65_536) } }, 400],
      [{ metadata: { commit: 'a'.repeat(40), suite: 'nightly' }, row_indices: HUGE.manyIndices, targets: ['b'] }, 200],
      [{ data: HUGE.deepRow }, 400],
      [{ data: [{ q: 1 }], dataset_id: 'ds' }, 400],
      [{ dataset_id: otherDatasetId }, 404],
      [{ row_indices: HUGE.manyIndices, targets: ['b'] }, 200],
      [{ data: HUGE.manyRows, targets: ['b'], repeats: 2 }, 200],
    ];
    for (const [body, status] of cases) {
      const what = `${JSON.stringify(body).slice(0, 80)}`;
      const started = performance.now();
      const res = await within(t.req('POST', '/api/experiments/runme/run', { body }), 15_000, what);
      const answer = await saneAnswer(res, what);
      expect(res.status, `${what}: ${JSON.stringify(answer).slice(0, 200)}`).toBe(status);
      // Starting is O(1) in the size of the run: no cell is planned up front.
      expect(performance.now() - started, what).toBeLessThan(5_000);
      if (status === 200) {
        const { runId, total } = answer as { runId: string; total: number };
        expect(total).toBe(expectedTotal(body as Record<string, unknown>));
        expect(total).toBeGreaterThan(10_000);
        await t.req('POST', `/api/experiments/runs/${runId}/abort`);
        const run = await waitForRun(t, runId, 10_000);
        expect(run.status).toBe('stopped');
      }
    }
    await expectHealthy(t);
  }, 60_000);
});
