import { noModels } from '../testing/no-models.js';
import { describe, expect, it } from 'vitest';
import type { EvaluatorContext, EvaluatorInputs } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { argumentsJson, customCode, toResult } from './custom-code.js';
import { jsonOf } from '../core/engine/evaluator-inputs.js';

function context(signal = new AbortController().signal): EvaluatorContext {
  return { row: { question: 'Capital of France?', expected: 'Paris' }, target: { id: 't', durationMs: 1 }, signal };
}

function instance(code: string, extra: Record<string, unknown> = {}) {
  const sandbox = createFakeSandbox();
  const evaluator = customCode.create(customCode.settings.parse({ code, ...extra }), { sandbox, models: noModels });
  return { sandbox, evaluator, run: (inputs: EvaluatorInputs = {}) => evaluator.evaluate(inputs, context()) };
}

describe('custom_code results', () => {
  it.each([
    ['return true', { status: 'processed', passed: true }],
    ['return false', { status: 'processed', passed: false }],
    ['return 0.75', { status: 'processed', score: 0.75 }],
    ['return 0', { status: 'processed', score: 0 }],
    ['return "positive"', { status: 'processed', label: 'positive' }],
    [
      'return {passed: false, score: 0.2, label: "meh", details: "too short", other: 1}',
      { status: 'processed', passed: false, score: 0.2, label: 'meh', details: 'too short' },
    ],
    ['return {passed: true, details: null}', { status: 'processed', passed: true }],
  ])('%s', async (code, expected) => {
    expect(await instance(code).run()).toEqual(expected);
  });

  it.each(['return null', 'const x = 1'])('%s skips the row', async (code) => {
    const result = await instance(code).run();
    expect(result.status).toBe('skipped');
    expect(result.details).toMatch(/^custom code returned (null|undefined)/);
  });

  it.each([
    ['return [1, 2]', 'an array'],
    ['return {passed: "yes"}', 'passed = "yes" (must be a boolean)'],
    ['return {score: "high"}', 'score = "high" (must be a finite number)'],
    ['return {label: 3}', 'label = 3 (must be a string)'],
    ['return {verdict: true}', 'an object without passed, score, label or details'],
  ])('%s is an error naming the problem', async (code, problem) => {
    const result = await instance(code).run();
    expect(result).toMatchObject({ status: 'error', errorType: 'invalid_result' });
    expect(result.details).toContain(problem);
  });

  it('refuses non-finite numbers', () => {
    expect(toResult(Number.NaN)).toMatchObject({ status: 'error', errorType: 'invalid_result' });
    expect(toResult({ score: Infinity })).toMatchObject({ status: 'error' });
  });
});

describe('custom_code inputs', () => {
  it('receives input, output, expected_output, contexts, row and every mapped input', async () => {
    const { run } = instance(
      'return {passed: output === expected_output, label: [input, contexts.length, row.question, inputs.tone].join("|")}',
    );
    expect(await run({ input: 'q', output: 'Paris', expected_output: 'Paris', contexts: ['a', 'b'], tone: 'formal' })).toEqual({
      status: 'processed',
      passed: true,
      label: 'q|2|Capital of France?|formal',
    });
  });

  it('sees missing inputs as null', async () => {
    expect(await instance('return input === null && expected_output === null').run({ output: 'x' })).toMatchObject({ passed: true });
  });

  it('gets the arguments JSON.stringify would write', () => {
    const row = { question: 'q', nested: { list: [1, 2, 3] } };
    const output = { answer: 'Paris', items: Array.from({ length: 5 }, (_, i) => ({ i })) };
    const cases: EvaluatorInputs[] = [
      {},
      { output: 'plain', input: 'q' },
      { input: 'q', output, expected_output: 'Paris', contexts: ['a', 'b'], tone: 'formal', score: 3, flag: false, none: null, gone: undefined },
      { output: Number.NaN, input: row },
    ];
    for (const inputs of cases) {
      const or = (v: unknown): unknown => (v === undefined ? null : v);
      expect(argumentsJson(inputs, row)).toBe(JSON.stringify([or(inputs.input), or(inputs.output), or(inputs.expected_output), or(inputs.contexts), row, inputs]));
    }
  });

  it("serialises the cell's output once for all its custom-code evaluators, though each sends it twice", () => {
    let serialised = 0;
    const output = { toJSON: () => (serialised++, { answer: 'Paris' }) };
    const cell = {};
    const texts = [1, 2, 3].map(() => argumentsJson({ output, input: 'q' }, { q: 1 }, (v) => jsonOf(v, cell)));
    expect(serialised).toBe(1);
    expect(new Set(texts).size).toBe(1);
    expect(JSON.parse(texts[0]!)).toEqual(['q', { answer: 'Paris' }, null, null, { q: 1 }, { output: { answer: 'Paris' }, input: 'q' }]);
    // Without a cell's memo, as before: twice per call.
    argumentsJson({ output }, {});
    expect(serialised).toBe(3);
  });
});

describe('custom_code failures', () => {
  it('reports a thrown error by its message, without a host stack', async () => {
    const result = await instance('throw new Error("boom")').run();
    expect(result).toMatchObject({ status: 'error', errorType: 'code_error' });
    expect(result.details).toBe('custom code failed: Error: boom');
  });

  it('awaits a promise the code returns, within the time limit', async () => {
    expect(await instance('return Promise.resolve(output === "yes")').run({ output: 'yes' })).toEqual({ status: 'processed', passed: true });
    const hung = await instance('return new Promise(() => {})', { timeoutMs: 50 }).run();
    expect(hung).toMatchObject({ status: 'error', details: 'custom code failed: timed out after 50 ms' });
  });

  it('reports a timeout as an error', async () => {
    const result = await instance('while (true) {}', { timeoutMs: 50 }).run();
    expect(result).toMatchObject({ status: 'error', errorType: 'code_error' });
    expect(result.details).toContain('timed out after 50 ms');
  });

  it('leaves compiling to the sandbox: settings check only that there is code', () => {
    // Syntax is refused at save time by the sandbox's own compile (config/document-checks.test.ts).
    expect(customCode.settings.safeParse({ code: 'return (' }).success).toBe(true);
    expect(customCode.settings.safeParse({}).error?.issues[0]?.path).toEqual(['code']);
    expect(customCode.settings.safeParse({ code: '' }).error?.issues[0]?.path).toEqual(['code']);
  });

  it('reports a sandbox compile error on every row but compiles only once', async () => {
    // `await` parses as an async body (so validation accepts it) but this sandbox compiles plain functions.
    const { run, sandbox } = instance('return await 1');
    const results = await Promise.all([run(), run()]);
    for (const result of results) {
      expect(result).toMatchObject({ status: 'error', errorType: 'compile_error' });
      expect(result.details).toMatch(/^custom code does not compile: SyntaxError/);
    }
    expect(sandbox.stats.compiles).toBe(1);
  });

  it('lets the engine handle an aborted call', async () => {
    const { evaluator } = instance('return true');
    const controller = new AbortController();
    controller.abort(new Error('run stopped'));
    await expect(evaluator.evaluate({}, context(controller.signal))).rejects.toThrow('run stopped');
  });
});

describe('custom_code lifecycle', () => {
  it('compiles once for all rows, even concurrent first calls, and disposes the function', async () => {
    const { run, sandbox, evaluator } = instance('return output.length');
    const scores = await Promise.all(['a', 'bb', 'ccc'].map((output) => run({ output })));
    expect(scores.map((r) => (r.status === 'processed' ? r.score : undefined))).toEqual([1, 2, 3]);
    expect(sandbox.stats.compiles).toBe(1);
    await evaluator.dispose?.();
    expect(sandbox.stats.disposed).toBe(1);
  });

  it('defaults the time limit to 5 s', () => {
    expect(customCode.settings.parse({ code: 'return 1' }).timeoutMs).toBe(5000);
  });
});
