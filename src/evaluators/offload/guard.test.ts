import { describe, expect, it } from 'vitest';
import type { EvaluatorDefinition, EvaluatorOffload, OffloadedEvaluation } from '../../core/model/adapters.js';
import type { EvaluatorContext } from '../../core/model/results.js';
import { noModels } from '../../testing/no-models.js';
import { CATALOGUE, findEvaluator } from '../catalogue.js';
import { charsUpTo } from './guard.js';
import { setTurnBudget, TURN_BUDGET_MS } from '../../core/turns.js';
import { asStringInput, jsonOf, type MemoHolder } from '../../core/engine/evaluator-inputs.js';

const sandbox = { compile: () => Promise.reject(new Error('no sandbox')) };
const context: EvaluatorContext = { row: { question: 'q' }, target: { id: 't', durationMs: 5 }, signal: new AbortController().signal };

/** An offload port that records what it is sent and answers a fixed result. */
function recordingOffload(): EvaluatorOffload & { calls: OffloadedEvaluation[]; signals: AbortSignal[] } {
  const calls: OffloadedEvaluation[] = [];
  const signals: AbortSignal[] = [];
  return {
    calls,
    signals,
    evaluate: async (call, signal) => {
      calls.push(call);
      signals.push(signal);
      return { status: 'processed', passed: true, details: 'offloaded' };
    },
  };
}

describe('charsUpTo', () => {
  it('counts strings by length and structure by a few characters a node', () => {
    expect(charsUpTo('abc', 100)).toBe(5);
    expect(charsUpTo({ a: 'xy', b: [1, null] }, 1_000)).toBeGreaterThanOrEqual(JSON.stringify({ a: 'xy', b: [1, null] }).length - 4);
  });

  it('stops soon after passing the limit, however large the value', () => {
    const huge = Array.from({ length: 1_000_000 }, (_, i) => ({ i }));
    // Counts the items it looks at: stopping soon means looking at about `limit` of them, not a million.
    let looked = 0;
    const watched = new Proxy(huge, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) looked++;
        return Reflect.get(target, key, receiver);
      },
    });
    expect(charsUpTo(watched, 1_000)).toBeGreaterThan(1_000);
    expect(looked).toBeLessThanOrEqual(1_000);
    // Deep nesting is walked without recursion.
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(charsUpTo(deep, 10_000_000)).toBeGreaterThan(100_000);
  });
});

describe('guarded evaluators', () => {
  const markdown = findEvaluator('valid_format')!;
  const settings = markdown.settings.parse({ format: 'markdown' });

  it('run inline up to their cap and through the offload port above it, with the evaluation signal', async () => {
    const offload = recordingOffload();
    const instance = markdown.create(settings, { sandbox, models: noModels, offload });
    const cap = markdown.inlineChars!(settings);
    const small = await instance.evaluate({ output: `# ${'a'.repeat(cap - 40)}` }, context);
    expect(small).toEqual({ status: 'processed', passed: true });
    expect(offload.calls).toHaveLength(0);

    const large = await instance.evaluate({ output: `# ${'a'.repeat(cap + 10)}`, input: 'not read by valid_format' }, context);
    expect(large.details).toBe('offloaded');
    expect(offload.calls).toHaveLength(1);
    const call = offload.calls[0]!;
    expect(call.evaluatorId).toBe('valid_format');
    expect(call.settings).toEqual(settings);
    expect(JSON.parse(call.settingsKey)).toEqual(settings);
    // Only the inputs the evaluator declares travel; facts about the target go along.
    expect(Object.keys(call.inputs)).toEqual(['output']);
    expect(call.jsonInputs).toEqual([]);
    expect(call.target).toEqual(context.target);
    expect(offload.signals[0]).toBe(context.signal);
  });

  it('send values that are not strings as their JSON text', async () => {
    const offload = recordingOffload();
    const compare = findEvaluator('json_compare')!;
    const instance = compare.create(compare.settings.parse({ list_matching: 'unordered' }), { sandbox, models: noModels, offload });
    const list = Array.from({ length: 500 }, (_, i) => ({ id: i }));
    await instance.evaluate({ output: list, expected_output: JSON.stringify(list) }, context);
    const call = offload.calls[0]!;
    expect(call.jsonInputs).toEqual(['output']);
    expect(JSON.parse(call.inputs.output!)).toEqual(list);
    expect(call.inputs.expected_output).toBe(JSON.stringify(list));
  });

  it('walk and encode an object input once, however many evaluators send it', async () => {
    const offload = recordingOffload();
    const compare = findEvaluator('json_compare')!;
    const instances = [1, 2, 3].map(() => compare.create(compare.settings.parse({ list_matching: 'unordered' }), { sandbox, models: noModels, offload }));
    const output = Array.from({ length: 500 }, (_, i) => ({ id: i }));
    await Promise.all(instances.map((instance) => instance.evaluate({ output, expected_output: output }, context)));
    expect(offload.calls).toHaveLength(3);
    expect(offload.calls[1]!.inputs.output).toBe(offload.calls[0]!.inputs.output);
    expect(offload.calls[2]!.inputs.expected_output).toBe(offload.calls[0]!.inputs.output);
  });

  it("reuse the cell's JSON text of an input that its string inputs already serialised", async () => {
    // valid_format and exact_match take the output as text (the cell's memo serialises it);
    // json_compare sent the same 1 MB output serialised a second time (security review of 2026-12-07).
    const offload = recordingOffload();
    const compare = findEvaluator('json_compare')!;
    const instance = compare.create(compare.settings.parse({ list_matching: 'unordered' }), { sandbox, models: noModels, offload });
    let serialised = 0;
    const output = { a: Array.from({ length: 5_000 }, (_, i) => i % 10), toJSON() { serialised++; return { a: this.a }; } };
    const holder: MemoHolder = {};
    const cell: EvaluatorContext = { ...context, jsonOf: (value) => jsonOf(value, holder) };
    const asText = asStringInput(output, holder);
    await instance.evaluate({ output, expected_output: JSON.parse(asText as string) as unknown }, cell);
    expect(serialised).toBe(1);
    expect(offload.calls[0]!.inputs.output).toBe(asText);
  });

  it('encode and post an offloaded evaluation on a turn of its own once the turn is spent', async () => {
    // The cell's code result was decoded in the same turn: with 1 MB outputs the decode, the
    // encoding and the post made one stretch (security review of 2026-12-07). A budget of 0: always spent.
    const offload = recordingOffload();
    const compare = findEvaluator('json_compare')!;
    const instance = compare.create(compare.settings.parse({ list_matching: 'unordered' }), { sandbox, models: noModels, offload });
    const output = Array.from({ length: 5_000 }, (_, i) => i % 10);
    setTurnBudget(0);
    try {
      let turns = 0;
      let counting = true;
      const tick = (): void => {
        turns++;
        if (counting) setImmediate(tick);
      };
      setImmediate(tick);
      const posted = instance.evaluate({ output, expected_output: output }, context);
      expect(offload.calls).toHaveLength(0);
      await posted;
      counting = false;
      expect(turns).toBeGreaterThanOrEqual(1);
      expect(offload.calls).toHaveLength(1);
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
    }
  });

  it('let the event loop run between many inline evaluations started together', async () => {
    // 200 evaluations just under the markdown cap (a few ms each), as the evaluators and set members of one cell.
    const offload = recordingOffload();
    const instance = markdown.create(settings, { sandbox, models: noModels, offload });
    const output = '*a'.repeat((markdown.inlineChars!(settings) - 40) / 2);
    let last = performance.now();
    let longest = 0;
    const timer = setInterval(() => {
      longest = Math.max(longest, performance.now() - last);
      last = performance.now();
    }, 1);
    const started = performance.now();
    await Promise.all(Array.from({ length: 200 }, () => instance.evaluate({ output }, context)));
    const total = performance.now() - started;
    clearInterval(timer);
    longest = Math.max(longest, performance.now() - last);
    console.log(`200 inline markdown evaluations: ${total.toFixed(0)} ms in all, longest stall ${longest.toFixed(1)} ms`);
    expect(offload.calls).toHaveLength(0);
    // Back to back they hold the thread for their whole time (hundreds of ms); sliced, ≈ 10 ms.
    expect(longest).toBeLessThan(Math.max(80, total / 3));
  });

  it('stay inline without an offload port (the worker itself, direct calls)', async () => {
    const instance = markdown.create(settings, { sandbox, models: noModels });
    expect(await instance.evaluate({ output: `# ${'a'.repeat(10_000)}` }, context)).toEqual({ status: 'processed', passed: true });
  });

  it('cover the members of evaluator sets, which are created through the catalogue', async () => {
    const offload = recordingOffload();
    const set = findEvaluator('evaluator_set')!;
    const s = set.settings.parse({ evaluators: [{ id: 'md', type: 'valid_format', settings: { format: 'markdown' } }, { id: 'exact', type: 'exact_match' }] });
    const instance = set.create(s, { sandbox, models: noModels, offload });
    const result = await instance.evaluate({ output: `# ${'a'.repeat(5_000)}`, expected_output: 'x' }, context);
    expect(offload.calls.map((c) => c.evaluatorId)).toEqual(['valid_format']);
    expect(result.details).toContain('md: passed');
  });

  it('leave model-calling and sandboxed evaluators inline: only offline families have a cap', () => {
    for (const def of CATALOGUE) {
      if (def.needsModel && def.id !== 'context_precision' && def.id !== 'context_recall') expect(def.inlineChars, def.id).toBeUndefined();
    }
    const contextPrecision = findEvaluator('context_precision') as EvaluatorDefinition;
    expect(contextPrecision.inlineChars!(contextPrecision.settings.parse({ mode: 'llm' }))).toBe(Number.POSITIVE_INFINITY);
    expect(contextPrecision.inlineChars!(contextPrecision.settings.parse({ mode: 'string' }))).toBeLessThan(100_000);
    expect(findEvaluator('custom_code')!.inlineChars).toBeUndefined();
  });

  it('give every offline evaluator but custom code and sets a cap', () => {
    const uncapped = CATALOGUE.filter((d) => !d.needsModel && d.inlineChars === undefined).map((d) => d.id);
    expect(uncapped.sort()).toEqual(['custom_code', 'evaluator_set']);
  });
});
