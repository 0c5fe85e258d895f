// Hostile regular expressions in evaluator settings (issue 6): text_rules (`langevals/basic`)
// regex rules and JSON Schema `pattern` keywords (valid_format). Random patterns are refused at
// save time exactly when RE2 cannot run them (or they compile to too large a program), naming
// the field. Through real runs, catastrophic patterns on a 50 KB output — `(a+)+$` and friends —
// finish their cell within the evaluator timeout, and patterns whose linear cost is still too
// high for the text become an evaluator error at once instead of stalling the server.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileLinearRegex } from '../../src/evaluators/safe-regex.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { startRun, waitForRun } from '../../src/testing/runs.js';
import { expectHealthy, probing, saneAnswer, seedFor, within } from './support.js';

const SEED = seedFor(60605);
/**
 * The evaluator timeout of the runs below (execution.timeoutMs). Generous: a backtracking engine
 * would not finish `(a+)+$` on 50 KB in years, so any bound proves the point, and RE2's linear
 * pass over ten rules took over 5 s on a CI machine at load 8–13.
 */
const EVALUATOR_TIMEOUT_MS = 30_000;

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

const CATASTROPHIC = ['(a+)+$', '(a|aa)+$', '(a|a?)+$', '(.*a){20}$', '^(([a-z])+.)+[A-Z]([a-z])+$', '(\\w+\\s?)*$', '(a*)*b', '(?i)(A+)+$', '(x+x+)+y', '^(a+)+$'];
/** Valid RE2, but large programs: too costly on 50 KB, so refused at save time or as an error at run time. */
const LARGE = ['a{1000}a{1000}$', '(?:a?){1000}a{1000}', '[ab]{1000}[ab]{900}$', '.{1000}!', 'a{1000}'.repeat(5) + '$', '(?:a?){1000}'.repeat(5)];

let slugs = 0;

/** Runs `evaluators` on one output produced by a code target; returns the evaluator results. */
async function evaluate(output: string, evaluators: unknown[]) {
  const slug = `rx-${++slugs}`;
  const doc = {
    slug, name: slug,
    dataset: { rows: [{ text: output }] },
    targets: [{ id: 't', type: 'code', code: 'return row.text' }],
    evaluators,
    execution: { timeoutMs: EVALUATOR_TIMEOUT_MS, maxRetries: 0 },
  };
  const saved = await t.req('POST', '/api/experiments', { body: doc });
  const body = await saneAnswer(saved, slug);
  if (saved.status !== 201) return { saved: saved.status, body, evaluations: [] as { evaluator: string; status: string; details: string | null; duration: number }[] };
  const run = await within(waitForRun(t, await startRun(t, slug), 60_000), 65_000, slug);
  expect(run.status).toBe('completed');
  const results = (await (await t.req('GET', `/api/experiments/runs/${run.runId}/results`)).json()) as {
    dataset: { error: string | null }[];
    evaluations: { evaluator: string; status: string; details: string | null; duration: number }[];
  };
  expect(results.dataset[0]!.error).toBeNull();
  return { saved: 201, body, evaluations: results.evaluations };
}

const rule = (value: string, kind = 'matches_regex') => ({ field: 'output', rule: kind, value });

describe('hostile regexes', () => {
  it('catastrophic patterns on a 50 KB output finish within the evaluator timeout', async () => {
    const output = 'a'.repeat(50_000) + '!';
    const worst = await probing(t, async () => {
      const evaluators = [
        { id: 'rules', type: 'langevals/basic', settings: { rules: CATASTROPHIC.map((p, i) => rule(p, i % 2 ? 'matches_regex' : 'not_matches_regex')) } },
        ...CATASTROPHIC.map((p, i) => ({ id: `schema${i}`, type: 'valid_format', settings: { format: 'json', json_schema: { type: 'string', pattern: p } } })),
      ];
      // valid_format parses the output as JSON: give it a JSON string of 50 KB.
      const { evaluations } = await evaluate(JSON.stringify(output), evaluators);
      expect(evaluations).toHaveLength(1 + CATASTROPHIC.length);
      // Processed: a verdict, not the evaluator timeout's error (a backtracking engine would
      // run out the timeout on every one of them). Durations are not asserted: on a busy
      // machine they vary, and the timeout is what a user would notice.
      for (const e of evaluations) expect(e.status, `${e.evaluator}: ${e.details}`).toBe('processed');
      const single = await evaluate(output, [{ id: 'one', type: 'langevals/basic', settings: { rules: [rule('(a+)+$')] } }]);
      expect(single.evaluations[0]).toMatchObject({ status: 'processed', passed: false });
    });
    console.log(`catastrophic regexes on 50 KB: worst /healthz ${worst.toFixed(0)} ms`);
    expect(worst).toBeLessThan(1_000);
  }, 150_000);

  it('large programs are refused at save time or stopped as an error before matching', async () => {
    const output = 'a'.repeat(50_000) + '!';
    const worst = await probing(t, async () => {
      for (const pattern of LARGE) {
        const compiled = compileLinearRegex(pattern, { multiline: true });
        const { saved, body, evaluations } = await evaluate(output, [{ id: 'rules', type: 'langevals/basic', settings: { rules: [rule(pattern)] } }]);
        if (!compiled.ok) {
          expect(saved, pattern).toBe(400);
          expect((body!.issues as { path: unknown[] }[])[0]!.path).toEqual(['evaluators', 0, 'settings', 'rules', 0, 'value']);
          continue;
        }
        expect(saved, pattern).toBe(201);
        expect(evaluations[0], pattern).toMatchObject({ status: 'error' });
        // Refused before matching: the estimate of its work, not a timeout.
        expect(evaluations[0]!.details, pattern).toMatch(/too costly/);
      }
      // The same in a JSON Schema pattern.
      const { evaluations } = await evaluate(JSON.stringify(output), [{ id: 'schema', type: 'valid_format', settings: { format: 'json', json_schema: { type: 'string', pattern: '.{1000}!' } } }]);
      expect(evaluations[0]).toMatchObject({ status: 'error' });
      expect(evaluations[0]!.details).toMatch(/too costly/);
    });
    console.log(`large regex programs on 50 KB: worst /healthz ${worst.toFixed(0)} ms`);
    expect(worst).toBeLessThan(1_000);
  }, 60_000);

  it('random patterns: refused at save time exactly when RE2 refuses them, naming the rule; accepted ones run in bounded time', async () => {
    const TOKENS = [
      '(', ')', '(?:', '(?=', '(?!', '(?<=', '(?<n>', '(?P<n>', '\\1', '\\k<n>', '+', '*', '?', '+?', '*+', '{2}', '{1,1000}', '{1001}', '{,5}', '|', '^', '$',
      '.', 'a', 'b', '\\', '[', ']', '[^a]', '[a-z]', '[z-a]', '\\d', '\\w', '\\s', '\\b', '\\p{L}', '\\P{Greek}', '\\p{Nope}', '\\u00e9', '\\u{1F600}',
      '\\x41', '\\0', '(?i)', '(?s)', '(?m)', '(?U)', '(?x)', '[[:alpha:]]', '\\Q.*\\E', '\\z', '\\Z', '\\A', '\\G', '\n', 'é', '😀',
    ];
    const patternArb = fc.oneof(
      fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 12 }).map((p) => p.join('')),
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.constantFrom(...CATASTROPHIC, ...LARGE),
    );
    const outputs = ['', 'a'.repeat(20_000) + '!', 'line one\nline two\r\n\u2028 é 😀 \u0000', 'x'.repeat(3000)];
    const tally = { accepted: 0, refused: 0 };
    const worst = await probing(t, () =>
      fc.assert(
        fc.asyncProperty(fc.array(patternArb, { minLength: 1, maxLength: 4 }), fc.constantFrom(...outputs), async (patterns, output) => {
          const what = `${JSON.stringify(patterns)} on ${output.length} chars`;
          const refusedAt = patterns.findIndex((p) => !compileLinearRegex(p, { multiline: true }).ok);
          const started = performance.now();
          const { saved, body, evaluations } = await evaluate(output || ' ', [
            { id: 'rules', type: 'langevals/basic', settings: { rules: patterns.map((p, i) => rule(p, i % 2 ? 'not_matches_regex' : 'matches_regex')) } },
          ]);
          if (refusedAt >= 0) {
            tally.refused++;
            expect(saved, what).toBe(400);
            const paths = (body!.issues as { path: unknown[] }[]).map((i) => JSON.stringify(i.path));
            expect(paths, what).toContain(JSON.stringify(['evaluators', 0, 'settings', 'rules', refusedAt, 'value']));
            return;
          }
          tally.accepted++;
          expect(saved, `${what}: ${JSON.stringify(body).slice(0, 300)}`).toBe(201);
          const e = evaluations[0]!;
          expect(['processed', 'error'], what).toContain(e.status);
          // An error is the work estimate's refusal, never the evaluator timeout.
          if (e.status === 'error') expect(e.details, what).toMatch(/too costly/);
          expect(performance.now() - started, what).toBeLessThan(20_000);
        }),
        { numRuns: 80, seed: SEED },
      ),
    );
    console.log(`random regexes: seed ${SEED}, 80 rule sets, ${tally.accepted} accepted, ${tally.refused} refused, worst /healthz ${worst.toFixed(0)} ms`);
    expect(worst).toBeLessThan(1_000);
    await expectHealthy(t);
  }, 90_000);
});
