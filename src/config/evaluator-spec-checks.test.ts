// Mapped evaluator inputs that the evaluator does not read are refused at save time, naming the
// inputs it does read: a misspelt `expectedOutput` was saved, the evaluator skipped every cell
// for want of expected_output, and a run gated on a 100% pass rate passed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../testing/harness.js';

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

const doc = (evaluators: unknown[]) => ({
  name: 'inputs',
  dataset: { rows: [{ q: 'a', answer: 'zzz' }] },
  targets: [{ id: 't', type: 'code', code: 'return row.q' }],
  evaluators,
  thresholds: { passRate: 100 },
});

async function save(slug: string, evaluators: unknown[]) {
  const res = await t.req('PUT', `/api/experiments/${slug}`, { body: doc(evaluators) });
  return { status: res.status, body: (await res.json()) as { error?: string; issues?: { path: unknown[]; message: string }[] } };
}

describe('evaluator input names', () => {
  it('a misspelt input is a 400 at its path, suggesting the name the evaluator reads, and nothing is saved', async () => {
    const { status, body } = await save('misspelt', [{ id: 'exact', type: 'langevals/exact_match', inputs: { expectedOutput: 'row.answer' } }]);
    expect(status).toBe(400);
    expect(body.error).toBe('validation_error');
    expect(body.issues).toEqual([
      { path: ['evaluators', 0, 'inputs', 'expectedOutput'], message: 'exact_match reads no input named "expectedOutput" (did you mean "expected_output"?); its inputs are output, expected_output' },
    ]);
    expect((await t.req('GET', '/api/experiments/misspelt')).status).toBe(404);
  });

  it('spelt right, the same document saves and its run fails the gate as it should', async () => {
    const { status } = await save('spelt', [{ id: 'exact', type: 'langevals/exact_match', inputs: { expected_output: 'row.answer' } }]);
    expect(status).toBe(201);
    const run = await t.client.waitForEnd((await t.client.startRun('spelt')).runId, 30_000);
    expect(run.summary).toMatchObject({ totalPassed: 0, totalFailed: 1 });
  });

  it('a misspelt setting is a 400 too: caseSensitive was dropped and "A" matched "a"', async () => {
    const { status, body } = await save('setting', [{ id: 'exact', type: 'exact_match', settings: { caseSensitive: true }, inputs: { expected_output: 'row.answer' } }]);
    expect(status).toBe(400);
    expect(body.issues).toEqual([
      { path: ['evaluators', 0, 'settings', 'caseSensitive'], message: 'exact_match has no setting "caseSensitive" (did you mean "case_sensitive"?); its settings are case_sensitive, trim_whitespace, remove_punctuation' },
    ]);
  });

  it('members of an evaluator set are checked too, at their own path', async () => {
    const set = { id: 'set', type: 'evaluator_set', settings: { evaluators: [{ id: 'm', type: 'exact_match', inputs: { expected: 'row.answer' } }] } };
    const { status, body } = await save('set', [set]);
    expect(status).toBe(400);
    expect(body.issues?.[0]?.path).toEqual(['evaluators', 0, 'settings', 'evaluators', 0, 'inputs', 'expected']);
    expect(body.issues?.[0]?.message).toMatch(/^exact_match reads no input named "expected"; its inputs are output, expected_output$/);
  });

  it('custom code and sets take inputs of any name (code reads them from `inputs`)', async () => {
    const code = { id: 'code', type: 'custom_code', settings: { code: 'return inputs.gold === output' }, inputs: { gold: 'row.answer' } };
    const set = { id: 'set', type: 'evaluator_set', settings: { evaluators: [{ id: 'c', type: 'custom_code', settings: { code: 'return !!inputs.gold' } }] }, inputs: { gold: 'row.answer' } };
    expect((await save('any-names', [code, set])).status).toBe(201);
  });
});
