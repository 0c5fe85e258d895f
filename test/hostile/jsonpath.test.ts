// Hostile JSONPath in an HTTP target's `outputPath` (issue 6), through real runs against the
// fake agent answering hostile documents: very deep, very wide, deep *and* wide, with
// prototype-named keys, or not JSON at all. Random paths (descents, wildcards, slices,
// unions, filters, parent and property-name operators) and filter scripts that try to reach
// the host (process, require, Function, constructors, globalThis, prototypes, endless loops).
// jsonpath-plus runs with eval 'safe', so scripts cannot reach host objects; here we prove it
// from the outside, since the server shares this test's process: nothing global changes, the
// process does not exit, no file appears, every run ends in bounded time, and the server keeps
// answering /healthz.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAgent, type FakeAgent } from '../../src/testing/fake-agent.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { startRun, waitForRun } from '../../src/testing/runs.js';
import { expectHealthy, expectNoPollution, probing, saneAnswer, seedFor, within } from './support.js';

const SEED = seedFor(60604);
const MARKER = path.join(os.tmpdir(), `assay-jsonpath-pwned-${process.pid}`);

let t: TestAssay;
let agent: FakeAgent;

const nest = (depth: number, inner: string, open: (i: number) => string, close: string) => {
  let text = inner;
  for (let i = 0; i < depth; i++) text = open(i) + text + close;
  return text;
};

/** Documents the agent answers at /doc/<name>, as raw JSON text (or plain text). */
const DOCS: Record<string, { text: string; type?: string }> = {
  small: { text: JSON.stringify({ reply: 'ok', a: [1, 2, { b: 'c' }], n: null, nested: { reply: 'inner' } }) },
  hostileKeys: {
    text: '{"constructor":{"prototype":{"polluted":true},"constructor":"x"},"__proto__":{"polluted":true},"toString":"s","hasOwnProperty":1,"a":[{"__proto__":{"x":1}}]}',
  },
  chain200: { text: nest(200, '{"reply":"bottom"}', () => '{"a":', '}') },
  chain1500: { text: nest(1500, '1', () => '{"a":', '}') },
  arrays1M: { text: '['.repeat(1_000_000) + ']'.repeat(1_000_000) },
  broom: { text: nest(450, JSON.stringify(Array.from({ length: 100_000 }, (_, i) => i)), () => '{"a":', '}') },
  wide: { text: JSON.stringify({ items: Array.from({ length: 100_000 }, (_, i) => ({ i, s: 'x', n: { m: i } })) }) },
  text: { text: 'plain text, not JSON', type: 'text/plain' },
  number: { text: '42' },
};

beforeAll(async () => {
  t = await startTestAssay();
  agent = await startFakeAgent({
    keepRequests: 0,
    handler: (request) => {
      const doc = DOCS[request.url.replace(/^\/doc\//, '').split('?')[0]!];
      if (!doc) return { status: 404, body: { error: 'no such document' } };
      return { status: 200, body: doc.text, headers: { 'content-type': doc.type ?? 'application/json' } };
    },
  });
});
afterAll(async () => {
  await t.close();
  await agent.close();
});

const HOSTILE_SCRIPTS = [
  '$[?(process.exit())]',
  '$[?(@.constructor.constructor("return process")().exit(1))]',
  '$..[?(@.constructor.constructor("return process")().exit(1))]',
  '$[?(this.process)]',
  '$[?(globalThis.pwned = 1)]',
  '$[?(Object.prototype.polluted = 1)]',
  '$..[?(@.__proto__.polluted = 1)]',
  '$..[?(@.constructor.prototype.polluted = 1)]',
  '$[?(@property.constructor.constructor("return this")().pwned = 1)]',
  '$[?((function(){while(true){}})())]',
  '$[?(while(true){})]',
  `$[?(require("fs").writeFileSync(${JSON.stringify(MARKER)}, "x"))]`,
  `$[?(import("fs").then(f => f.writeFileSync(${JSON.stringify(MARKER)}, "x")))]`,
  '$[?(eval("globalThis.pwned = 1"))]',
  '$[?(Function("globalThis.pwned = 1")())]',
  '$[?(@.toString.call(@))]',
  '$[?(@.a && @.a.constructor && @.a.constructor.constructor("globalThis.pwned = 1")())]',
  '$[(@.constructor.constructor("return process")().exit())]',
  '$[?(@path.constructor.constructor("globalThis.pwned = 1")())]',
  '$[?(@root.constructor.assign(Object.prototype, {polluted: 1}))]',
  '$[?(@.constructor === Object)]',
  '$.constructor.constructor',
  '$..__proto__',
  '$["__proto__"]["polluted"]',
  '$..*..*..*',
  '$..*..*',
  '$..a..a..a..a',
  '$..*',
  '$..[?(@ > 1)]',
  '$..*^^^^^^^^',
  '$..*~',
  "$[?(@.length > 1 && @.repeat(100000000).split('').length > 0)]",
  "$[?(@['repeat'](150000000).indexOf('z'))]",
];

const SEGMENTS = [
  '.a', '.b', '.reply', '.items', '[*]', '.*', '..', '..*', '..a', '..reply', '[0]', '[-1]', '[0:2]', '[::-1]', '[1:100000000:1]', "['a','b']",
  '[0,0,0,0,0,0,0,0]', '[?(@.a)]', '[?(@ > 1)]', '[?(@.b == "c")]', '[?(@.i < 3)]', '[?(@property === "a")]', '^', '~', '[(@.length-1)]',
  '.constructor', '.__proto__', '[?(@.constructor)]', '["toString"]', '.length', '[?(@.n.m % 2 == 0)]', '[?(@ && @.a)]',
];

const pathArb = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 5 }).map((segments) => `$${segments.join('')}`) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_SCRIPTS) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom('$', '', ' ', '$.', '$[', '$[?(', '$[?(@.a', '$..', '@', '$$', '$[(', `$${'..a'.repeat(600)}`, `$${'[*]'.repeat(600)}`) },
);

let slugs = 0;

/** Saves an experiment whose one HTTP target reads /doc/<doc> through `outputPath`, runs it, returns the cell. */
async function runPath(outputPath: string, doc: string): Promise<{ status: string; error: string | null; output: unknown; ms: number; saved: number }> {
  const slug = `jp-${++slugs}`;
  const target: Record<string, unknown> = { id: 't', type: 'http', method: 'GET', url: `${agent.url}/doc/${doc}`, timeoutMs: 5_000 };
  if (outputPath !== '') target.outputPath = outputPath;
  const what = `${outputPath} on ${doc}`;
  const saved = await t.req('POST', '/api/experiments', {
    body: { slug, name: slug, dataset: { rows: [{ q: 1 }] }, targets: [target], execution: { maxRetries: 0, timeoutMs: 10_000 } },
  });
  const savedBody = await saneAnswer(saved, what);
  if (saved.status !== 201) return { status: 'refused', error: String(savedBody?.message), output: undefined, ms: 0, saved: saved.status };
  const started = performance.now();
  const run = await within(waitForRun(t, await startRun(t, slug), 20_000), 25_000, what);
  const ms = performance.now() - started;
  const res = await t.req('GET', `/api/experiments/runs/${run.runId}/results`);
  const results = (await saneAnswer(res, what)) as { dataset: { error: string | null; predicted?: { output: unknown } }[] };
  const cell = results.dataset[0]!;
  return { status: run.status, error: cell.error, output: cell.predicted?.output, ms, saved: 201 };
}

function expectHostUntouched(what: string): void {
  expectNoPollution();
  expect((globalThis as Record<string, unknown>).pwned, what).toBeUndefined();
  expect(existsSync(MARKER), `${what}: marker file`).toBe(false);
  expect(typeof process.exit, what).toBe('function');
}

describe('hostile JSONPath in outputPath', () => {
  it('cannot reach host objects or hang, on any document', async () => {
    let worstCell = 0;
    const worstHealth = await probing(t, async () => {
      for (const script of HOSTILE_SCRIPTS) {
        for (const doc of ['small', 'hostileKeys', 'chain200', 'broom']) {
          const cell = await runPath(script, doc);
          const what = `${script} on ${doc}`;
          expectHostUntouched(what);
          // A filter that does more than read and compare is refused at save, naming outputPath.
          if (cell.saved !== 201) {
            expect(cell.saved, what).toBe(400);
            expect(cell.error, what).toMatch(/outputPath/);
            continue;
          }
          expect(['completed', 'failed'], `${what}: ${JSON.stringify(cell)}`).toContain(cell.status);
          if (cell.error !== null) expect(cell.error, what).toMatch(/outputPath|nested more than/);
          worstCell = Math.max(worstCell, cell.ms);
        }
      }
    });
    console.log(`jsonpath scripts: ${HOSTILE_SCRIPTS.length} × 4 documents, slowest run ${worstCell.toFixed(0)} ms, worst /healthz ${worstHealth.toFixed(0)} ms`);
    expect(worstCell).toBeLessThan(3_000);
    expect(worstHealth).toBeLessThan(1_500);
    await expectHealthy(t);
  }, 90_000);

  it('random paths on hostile documents: a result or a clear error, in bounded time', async () => {
    const tally = { output: 0, error: 0, refused: 0 };
    let worstCell = 0;
    const worstHealth = await probing(t, () =>
      fc.assert(
        fc.asyncProperty(pathArb, fc.constantFrom(...Object.keys(DOCS)), async (outputPath, doc) => {
          const cell = await runPath(outputPath, doc);
          const what = `${outputPath.slice(0, 80)} on ${doc}`;
          expectHostUntouched(what);
          if (cell.saved !== 201) {
            tally.refused++;
            return;
          }
          expect(['completed', 'failed'], `${what}: ${JSON.stringify(cell).slice(0, 300)}`).toContain(cell.status);
          if (cell.error === null) tally.output++;
          else {
            tally.error++;
            expect(cell.error.length, what).toBeLessThan(3_000);
            expect(cell.error, what).not.toMatch(/\n\s+at /);
          }
          worstCell = Math.max(worstCell, cell.ms);
        }),
        { numRuns: 120, seed: SEED },
      ),
    );
    console.log(`jsonpath random: seed ${SEED}, 120 paths, ${JSON.stringify(tally)}, slowest run ${worstCell.toFixed(0)} ms, worst /healthz ${worstHealth.toFixed(0)} ms`);
    expect(worstCell).toBeLessThan(3_000);
    expect(worstHealth).toBeLessThan(1_500);
    await expectHealthy(t);
  }, 90_000);

  it('keeps a million-deep answer as a clear error, not a crash', async () => {
    for (const outputPath of ['', '$', '$[0]', '$..*', '$[0][0][0]']) {
      const cell = await runPath(outputPath, 'arrays1M');
      expect(['completed', 'failed'], `${outputPath}: ${JSON.stringify(cell).slice(0, 300)}`).toContain(cell.status);
      if (cell.error !== null) expect(cell.error).not.toMatch(/\n\s+at /);
    }
    await expectHealthy(t);
  }, 60_000);
});
