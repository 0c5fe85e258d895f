// run_budget. Words and characters are counted as promptfoo's word-count (whitespace-separated
// runs, src/assertions/wordCount.ts) and character-count (Unicode code points, so an emoji is
// one character, src/assertions/characterCount.ts) assertions count them.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { EvaluatorContext, EvaluatorInputs } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { noModels } from '../testing/no-models.js';
import { runBudget } from './run-budget.js';

type Target = EvaluatorContext['target'];

function run(settings: Record<string, unknown>, inputs: EvaluatorInputs, target: Partial<Target> = {}) {
  const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 800, ...target }, signal: new AbortController().signal };
  return runBudget.create(runBudget.settings.parse(settings), { sandbox: createFakeSandbox(), models: noModels }).evaluate(inputs, context);
}

describe('run_budget, limits', () => {
  it('passes when every limit holds, listing each with the observed value', async () => {
    const result = await run(
      { max_latency_ms: 1000, max_cost_usd: 0.01, max_total_tokens: 500 },
      { output: 'ok' },
      { cost: 0.0042, tokens: { input: 300, output: 120 } },
    );
    expect(result).toEqual({
      status: 'processed',
      passed: true,
      details: 'latency 800 ms (max 1000 ms): ok; cost 0.0042 USD (max 0.01 USD): ok; total tokens 420 (max 500): ok',
    });
  });

  it('fails when one limit is broken; limits are inclusive', async () => {
    const result = await run({ max_latency_ms: 800, max_output_tokens: 100 }, { output: 'x' }, { tokens: { input: 10, output: 101 } });
    expect(result).toEqual({ status: 'processed', passed: false, details: 'latency 800 ms (max 800 ms): ok; output tokens 101 (max 100): over the limit' });
    expect(await run({ max_input_tokens: 10 }, {}, { tokens: { input: 10, output: 5 } })).toMatchObject({ passed: true });
  });

  it('counts words as runs of non-whitespace (promptfoo word-count)', async () => {
    // "  The quick\tbrown\n\nfox  " → The, quick, brown, fox = 4 words.
    const output = '  The quick\tbrown\n\nfox  ';
    expect(await run({ max_words: 4, min_words: 4 }, { output })).toMatchObject({ passed: true, details: 'words 4 (max 4): ok; words 4 (min 4): ok' });
    expect(await run({ min_words: 5 }, { output })).toMatchObject({ passed: false, details: 'words 4 (min 5): under the minimum' });
  });

  it('counts characters as code points (promptfoo character-count)', async () => {
    // "héllo 👋": h, é, l, l, o, space, 👋 = 7 code points (8 UTF-16 units).
    expect(await run({ max_chars: 7 }, { output: 'héllo 👋' })).toMatchObject({ passed: true, details: 'characters 7 (max 7): ok' });
    expect(await run({ min_chars: 8 }, { output: 'héllo 👋' })).toMatchObject({ passed: false });
  });

  it('counts a structured output as its JSON text', async () => {
    // {"a":1} is 7 characters.
    expect(await run({ max_chars: 7 }, { output: { a: 1 } })).toMatchObject({ passed: true, details: 'characters 7 (max 7): ok' });
  });
});

describe('run_budget, unknown facts', () => {
  it('skips when a limited fact is unknown and nothing failed', async () => {
    const result = await run({ max_latency_ms: 1000, max_cost_usd: 0.01 }, {});
    expect(result).toMatchObject({ status: 'skipped' });
    expect(result.details).toBe(
      'cannot check max_cost_usd: the cost of the target call is unknown (the model has no price, or the target does not report cost). ' +
        'latency 800 ms (max 1000 ms): ok; cost unknown (max 0.01 USD)',
    );
    expect(await run({ max_total_tokens: 10 }, {})).toMatchObject({ status: 'skipped', details: expect.stringContaining('did not report token usage') });
  });

  it('fails anyway when a known limit already failed', async () => {
    expect(await run({ max_latency_ms: 500, max_cost_usd: 0.01 }, {})).toEqual({
      status: 'processed',
      passed: false,
      details: 'latency 800 ms (max 500 ms): over the limit; cost unknown (max 0.01 USD)',
    });
  });

  it('treats a cost of 0 as known', async () => {
    expect(await run({ max_cost_usd: 0 }, {}, { cost: 0 })).toMatchObject({ status: 'processed', passed: true });
  });

  it('skips a missing output only when a length limit needs it', async () => {
    expect(await run({ max_words: 10 }, {})).toMatchObject({ status: 'skipped', details: expect.stringContaining('output is missing') });
    expect(await run({ max_latency_ms: 1000 }, { output: null })).toMatchObject({ status: 'processed', passed: true });
  });
});

describe('run_budget, settings', () => {
  const paths = (s: unknown) => runBudget.settings.safeParse(s).error?.issues.map((i) => i.path);

  it('needs at least one limit', () => {
    const parsed = runBudget.settings.safeParse({});
    expect(parsed.error?.issues).toEqual([expect.objectContaining({ path: [], message: expect.stringMatching(/^set at least one limit: max_latency_ms, /) })]);
  });

  it('advertises that in its JSON Schema too', () => {
    const schema = z.toJSONSchema(runBudget.settings, { io: 'input' });
    const validate = new Ajv2020({ strict: true }).compile(schema);
    expect(validate({})).toBe(false);
    expect(validate({ max_latency_ms: 1000 })).toBe(true);
  });

  it('refuses invalid limits with their paths', () => {
    expect(paths({ max_latency_ms: 0 })).toEqual([['max_latency_ms']]);
    expect(paths({ max_cost_usd: -1 })).toEqual([['max_cost_usd']]);
    expect(paths({ max_words: 2.5 })).toEqual([['max_words']]);
    expect(paths({ min_words: 10, max_words: 5 })).toEqual([['min_words']]);
    expect(paths({ min_chars: 10, max_chars: 5 })).toEqual([['min_chars']]);
  });
});
