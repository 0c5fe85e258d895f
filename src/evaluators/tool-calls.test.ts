// tool_calls. F1 values follow the definition van Rijsbergen's F-measure gives (harmonic mean of
// precision and recall), as Ragas' ToolCallF1 and promptfoo's tool-call-f1 compute it; the
// message shapes are those of the providers' API references.
import { describe, expect, it } from 'vitest';
import type { EvaluatorContext, EvaluatorInputs } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { noModels } from '../testing/no-models.js';
import { MAX_SCHEMA_WORK, schemaWork } from './json-schema.js';
import { MAX_TOOL_SCHEMAS_WORK, toolCalls } from './tool-calls.js';

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal };

function run(inputs: EvaluatorInputs, settings: Record<string, unknown> = {}) {
  return toolCalls.create(toolCalls.settings.parse(settings), { sandbox: createFakeSandbox(), models: noModels }).evaluate(inputs, context);
}

/** An OpenAI chat-completions assistant message: arguments are JSON text. */
function openai(...calls: [string, Record<string, unknown>][]) {
  return {
    role: 'assistant',
    content: null,
    tool_calls: calls.map(([name, args], i) => ({ id: `call_${i}`, type: 'function', function: { name, arguments: JSON.stringify(args) } })),
  };
}

describe('tool_calls, F1 over tool names', () => {
  // Ragas ToolCallF1 docstring (ragas.metrics.collections.ToolCallF1): expected get_weather,
  // called get_weather and get_uv_index → 0.67 (1 TP, 1 FP, 0 FN).
  it('reproduces the Ragas example: one expected, one extra call', async () => {
    const output = openai(['get_weather', { location: 'Paris' }], ['get_uv_index', { location: 'Paris' }]);
    const result = await run({ output }, { expected: [{ name: 'get_weather' }] });
    // precision 1/2, recall 1/1, F1 = 2·0.5·1/1.5 = 2/3.
    expect(result).toMatchObject({ status: 'processed', score: 2 / 3, passed: false });
    expect(result.details).toBe(
      'called [get_weather, get_uv_index], expected [get_weather]; F1 0.667 (precision 0.500, recall 1.000); the tool names called differ from the expected ones',
    );
  });

  it('treats names as a multiset: a repeated call counts once per expectation', async () => {
    // Called search ×3, expected search ×1 + fetch ×1: matched 1; precision 1/3, recall 1/2,
    // F1 = 2·(1/3)(1/2)/(1/3 + 1/2) = (1/3)/(5/6) = 0.4.
    const output = openai(['search', { q: 'a' }], ['search', { q: 'b' }], ['search', { q: 'c' }]);
    expect(await run({ output }, { expected: [{ name: 'search' }, { name: 'fetch' }] })).toMatchObject({ score: 0.4, passed: false });
  });

  it('passes when no call was made and none was expected, and scores 0 when one of them is empty', async () => {
    expect(await run({ output: { role: 'assistant', content: 'Hello!' } }, { expected: [] })).toMatchObject({ score: 1, passed: true });
    expect(await run({ output: 'Hello!', expected_output: '[]' })).toMatchObject({ score: 1, passed: true });
    expect(await run({ output: 'Hello!' }, { expected: [{ name: 'search' }] })).toMatchObject({ score: 0, passed: false });
    expect(await run({ output: openai(['search', {}]) }, { expected: [] })).toMatchObject({ score: 0, passed: false });
  });

  it('ignores order unless order_matters', async () => {
    const output = openai(['b', {}], ['a', {}]);
    expect(await run({ output }, { expected: [{ name: 'a' }, { name: 'b' }] })).toMatchObject({ score: 1, passed: true });
    const ordered = await run({ output }, { expected: [{ name: 'a' }, { name: 'b' }], order_matters: true });
    expect(ordered).toMatchObject({ score: 1, passed: false });
    expect(ordered.details).toContain('the tools were called in a different order');
  });
});

describe('tool_calls, output shapes', () => {
  const expected = [{ name: 'get_weather', arguments: { city: 'Paris' } }];
  const shapes: [string, unknown][] = [
    ['an OpenAI message', openai(['get_weather', { city: 'Paris' }])],
    ['an OpenAI message as JSON text', JSON.stringify(openai(['get_weather', { city: 'Paris' }]))],
    ['an OpenAI chat completion', { choices: [{ message: openai(['get_weather', { city: 'Paris' }]) }] }],
    ['a list of OpenAI tool calls', openai(['get_weather', { city: 'Paris' }]).tool_calls],
    ['an Anthropic message', { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] }],
    ['Anthropic content blocks', [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }]],
    ['an AI SDK result (v5 input)', { text: '', toolCalls: [{ type: 'tool-call', toolCallId: '1', toolName: 'get_weather', input: { city: 'Paris' } }] }],
    ['AI SDK tool calls (v4 args)', [{ toolCallId: '1', toolName: 'get_weather', args: { city: 'Paris' } }]],
    ['an OpenAI Responses output', { output: [{ type: 'function_call', call_id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' }] }],
    ['plain calls', [{ name: 'get_weather', arguments: { city: 'Paris' } }]],
    ['a conversation', [{ role: 'user', content: 'Weather?' }, openai(['get_weather', { city: 'Paris' }])]],
  ];

  it.each(shapes)('reads %s', async (_shape, output) => {
    expect(await run({ output }, { expected, check: 'exact' })).toMatchObject({ score: 1, passed: true });
  });

  it('finds no calls in prose or unrelated JSON', async () => {
    for (const output of ['The weather is sunny.', '{"answer": 42}', 42]) {
      expect(await run({ output }, { expected })).toMatchObject({ score: 0, passed: false });
    }
  });
});

describe('tool_calls, checks with arguments', () => {
  const output = openai(['get_weather', { city: 'Paris', unit: 'celsius' }], ['search', { q: 'museums' }]);

  it('subset: every expected call made, its arguments contained in the actual ones', async () => {
    expect(await run({ output }, { check: 'subset', expected: [{ name: 'get_weather', arguments: { city: 'Paris' } }] })).toMatchObject({ passed: true, score: 2 / 3 });
    const wrong = await run({ output }, { check: 'subset', expected: [{ name: 'get_weather', arguments: { city: 'Rome' } }] });
    expect(wrong).toMatchObject({ passed: false });
    expect(wrong.details).toContain('expected calls not made: get_weather {"city":"Rome"}');
  });

  it('exact: the same calls with deep-equal arguments and nothing else', async () => {
    const both = [{ name: 'search', arguments: { q: 'museums' } }, { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } }];
    expect(await run({ output }, { check: 'exact', expected: both })).toMatchObject({ passed: true, score: 1 });
    expect(await run({ output }, { check: 'exact', expected: [both[1]] })).toMatchObject({ passed: false, details: expect.stringContaining('2 calls made, 1 expected') });
    const partial = [both[0], { name: 'get_weather', arguments: { city: 'Paris' } }];
    expect(await run({ output }, { check: 'exact', expected: partial })).toMatchObject({ passed: false, details: expect.stringContaining('expected calls not made exactly: get_weather {"city":"Paris"}') });
    // Without arguments in the expectation only the names are compared.
    expect(await run({ output }, { check: 'exact', expected: [{ name: 'search' }, { name: 'get_weather' }] })).toMatchObject({ passed: true });
  });

  it('with order_matters: exact needs the same sequence, subset a subsequence', async () => {
    const expected = [{ name: 'search' }, { name: 'get_weather' }];
    expect(await run({ output }, { check: 'exact', order_matters: true, expected })).toMatchObject({ passed: false, details: expect.stringContaining('call 1 should be search') });
    expect(await run({ output }, { check: 'subset', order_matters: true, expected: [{ name: 'get_weather' }, { name: 'search' }] })).toMatchObject({ passed: true });
    expect(await run({ output }, { check: 'subset', order_matters: true, expected })).toMatchObject({ passed: false, details: expect.stringContaining('expected call get_weather not made in order') });
  });

  it('fails arguments that are not JSON whatever the check', async () => {
    const broken = { tool_calls: [{ id: 'c', type: 'function', function: { name: 'search', arguments: '{"q": "mus' } }] };
    const result = await run({ output: broken }, { expected: [{ name: 'search' }] });
    expect(result).toMatchObject({ score: 1, passed: false });
    expect(result.details).toMatch(/call 1 \(search\): arguments are not valid JSON: /);
  });
});

describe('tool_calls, expected calls from expected_output', () => {
  const output = openai(['search', { q: 'x' }], ['fetch', { url: 'u' }]);

  it('reads names as a JSON list, as comma-separated text, or full calls', async () => {
    expect(await run({ output, expected_output: '["search", "fetch"]' })).toMatchObject({ score: 1, passed: true });
    expect(await run({ output, expected_output: 'search, fetch' })).toMatchObject({ score: 1, passed: true });
    expect(await run({ output, expected_output: 'search' })).toMatchObject({ score: 2 / 3 });
    expect(await run({ output, expected_output: [{ name: 'search', arguments: { q: 'x' } }] }, { check: 'subset' })).toMatchObject({ passed: true });
  });

  it('prefers the expected setting over expected_output', async () => {
    expect(await run({ output, expected_output: 'other' }, { expected: [{ name: 'search' }, { name: 'fetch' }] })).toMatchObject({ score: 1 });
  });

  it('skips without any expectation, or with an unreadable one', async () => {
    expect(await run({ output })).toMatchObject({ status: 'skipped', details: expect.stringContaining('no expected calls') });
    expect(await run({ output, expected_output: ' ' })).toMatchObject({ status: 'skipped', details: expect.stringContaining('expected_output is empty') });
    expect(await run({ output, expected_output: '{"answer": 1}' })).toMatchObject({ status: 'skipped', details: expect.stringContaining('no tool calls in a known shape') });
    expect(await run({ expected_output: 'search' })).toMatchObject({ status: 'skipped', details: expect.stringContaining('output is missing') });
  });
});

describe('tool_calls, schemas', () => {
  const weather = { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 } }, required: ['city'], additionalProperties: false };

  it('validates arguments of tools that have a schema, alongside the expected calls', async () => {
    const good = openai(['get_weather', { city: 'Paris', days: 2 }], ['search', { anything: true }]);
    expect(await run({ output: good }, { expected: [{ name: 'get_weather' }, { name: 'search' }], schemas: { get_weather: weather } })).toMatchObject({ score: 1, passed: true });
    const bad = openai(['get_weather', { days: 0 }]);
    const result = await run({ output: bad }, { expected: [{ name: 'get_weather' }], schemas: { get_weather: JSON.stringify(weather) } });
    expect(result).toMatchObject({ score: 1, passed: false });
    expect(result.details).toContain("call 1 (get_weather): arguments do not match the schema: / must have required property 'city'; /days must be >= 1");
  });

  it('without expected calls, only validates, and the schemas list the tools that exist', async () => {
    expect(await run({ output: openai(['get_weather', { city: 'Rome' }]) }, { schemas: { get_weather: weather } })).toEqual({
      status: 'processed',
      passed: true,
      details: 'called [get_weather]; arguments valid',
    });
    expect(await run({ output: openai(['delete_all', {}]) }, { schemas: { get_weather: weather } })).toMatchObject({
      passed: false,
      details: 'called [delete_all]; call 1 (delete_all): no tool of that name in schemas',
    });
  });

  it('refuses schemas that do not compile, naming the tool', () => {
    const parsed = toolCalls.settings.safeParse({ schemas: { get_weather: { type: 'strin' } } });
    expect(parsed.error?.issues[0]?.path).toEqual(['schemas', 'get_weather']);
  });

  it('refuses more than 128 tools, and schemas past the compile work of one evaluator, at the one that passes it', () => {
    const tools = (n: number, schema: unknown) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`tool_${i}`, schema]));
    expect(toolCalls.settings.safeParse({ schemas: tools(128, { type: 'object' }) }).success).toBe(true);
    expect(toolCalls.settings.safeParse({ schemas: tools(129, { type: 'object' }) }).error?.issues).toEqual([
      expect.objectContaining({ path: ['schemas'], message: 'at most 128 tool schemas' }),
    ]);
    // Each just within the bound of one schema; three fit the evaluator's budget, the fourth does not.
    const wide = (n: number) => ({ type: 'object', properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: 'string' }])) });
    let n = 1;
    const workOf = (schema: unknown) => schemaWork(schema) as number;
    while (workOf(wide(n + 1)) <= MAX_SCHEMA_WORK) n++;
    const work = workOf(wide(n));
    const fit = Math.floor(MAX_TOOL_SCHEMAS_WORK / work);
    expect(toolCalls.settings.safeParse({ schemas: Object.fromEntries(Array.from({ length: fit }, (_, i) => [`t${i}`, wide(n - i)])) }).success).toBe(true);
    const issues = toolCalls.settings.safeParse({ schemas: Object.fromEntries(Array.from({ length: fit + 2 }, (_, i) => [`t${i}`, wide(n - i)])) }).error?.issues;
    expect(issues?.[0]).toMatchObject({ path: ['schemas', `t${fit}`] });
    expect(issues?.[0]?.message).toMatch(new RegExp(`^schemas\\.t${fit} takes \\d+ units of schema to compile, and only \\d+ are left of the evaluator's budget$`));
  });
});

describe('tool_calls, settings', () => {
  it('has defaults', () => {
    expect(toolCalls.settings.parse({})).toEqual({ check: 'names_f1', order_matters: false });
  });

  it('refuses invalid settings with their paths', () => {
    const paths = (s: unknown) => toolCalls.settings.safeParse(s).error?.issues.map((i) => i.path);
    expect(paths({ check: 'fuzzy' })).toEqual([['check']]);
    expect(paths({ expected: [{ name: '' }] })).toEqual([['expected', 0, 'name']]);
    expect(paths({ expected: [{ name: 'a', arguments: 'x' }] })).toEqual([['expected', 0, 'arguments']]);
  });
});
