import { noModels } from '../testing/no-models.js';
import { describe, expect, it } from 'vitest';
import type { EvaluatorContext, EvaluatorInputs } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { validFormat } from './valid-format.js';

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal };

function run(inputs: EvaluatorInputs, settings: Record<string, unknown> = {}) {
  return validFormat.create(validFormat.settings.parse(settings), { sandbox: createFakeSandbox(), models: noModels }).evaluate(inputs, context);
}

const PERSON = JSON.stringify({
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 }, email: { type: 'string', format: 'email' } },
  additionalProperties: false,
});

function refusal(json_schema: unknown) {
  const parsed = validFormat.settings.safeParse({ format: 'json', json_schema });
  expect(parsed.success).toBe(false);
  const issue = parsed.error!.issues[0]!;
  expect(issue.path).toEqual(['json_schema']);
  return issue.message;
}

describe('valid_format, json without a schema', () => {
  it.each(['{"a": 1}', '[1, 2]', '42', '"text"', 'null'])('accepts %s', async (output) => {
    expect(await run({ output })).toEqual({ status: 'processed', passed: true });
  });

  it('fails text that is not JSON, with the parse error', async () => {
    const result = await run({ output: '{a: 1}' });
    expect(result).toMatchObject({ status: 'processed', passed: false });
    expect(result.details).toMatch(/^Invalid JSON: /);
  });

  it('points out a Markdown code fence around the JSON', async () => {
    const result = await run({ output: '```json\n{"a": 1}\n```' });
    expect(result).toMatchObject({ passed: false });
    expect(result.details).toContain('Markdown code fence');
  });

  it('counts structured outputs as JSON', async () => {
    expect(await run({ output: { a: [1, 2] } })).toMatchObject({ passed: true });
    expect(await run({ output: [1, 'two'] })).toMatchObject({ passed: true });
  });

  it('fails an empty output and skips a missing one', async () => {
    expect(await run({ output: '' })).toEqual({ status: 'processed', passed: false, details: 'empty output' });
    expect(await run({ output: '  \n' })).toEqual({ status: 'processed', passed: false, details: 'empty output' });
    expect(await run({})).toMatchObject({ status: 'skipped' });
  });
});

describe('valid_format, json with a schema', () => {
  it('passes values that satisfy the schema given as text, as LangWatch stores it', async () => {
    expect(await run({ output: '{"name": "Ada", "age": 36, "email": "ada@example.com"}' }, { json_schema: PERSON })).toMatchObject({ passed: true });
  });

  it('reports the schema errors with their paths', async () => {
    const result = await run({ output: '{"age": -1, "email": "not-an-email", "extra": true}' }, { json_schema: PERSON });
    expect(result).toMatchObject({ passed: false });
    expect(result.details).toMatch(/^JSON Schema validation failed: /);
    expect(result.details).toContain("/ must have required property 'name'");
    expect(result.details).toContain('/age must be >= 0');
    expect(result.details).toContain('/email must match format "email"');
    expect(result.details).toContain('/ must NOT have additional properties (extra)');
  });

  it('shows only the first five errors', async () => {
    const schema = { type: 'array', items: { type: 'string' } };
    const result = await run({ output: [1, 2, 3, 4, 5, 6, 7] }, { json_schema: schema });
    expect(result.details).toContain('/4 must be string');
    expect(result.details).not.toContain('/5 must be string');
    expect(result.details).toContain('…and 2 more');
  });

  it('validates a structured output against a schema given as an object', async () => {
    const schema = JSON.parse(PERSON) as Record<string, unknown>;
    expect(await run({ output: { name: 'Ada' } }, { json_schema: schema })).toMatchObject({ passed: true });
    expect(await run({ output: { name: 7 } }, { json_schema: schema })).toMatchObject({ passed: false, details: 'JSON Schema validation failed: /name must be string' });
  });

  it('treats an empty json_schema as no schema', async () => {
    expect(await run({ output: '{"anything": true}' }, { json_schema: '' })).toMatchObject({ passed: true });
  });

  it('honours an explicit draft-07 $schema', async () => {
    const schema = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'array', items: [{ type: 'string' }], additionalItems: false };
    expect(await run({ output: '["a"]' }, { json_schema: schema })).toMatchObject({ passed: true });
    expect(await run({ output: '["a", "b"]' }, { json_schema: schema })).toMatchObject({ passed: false });
  });

  // As for text rules: a backtracking engine would not finish (2^50,000 paths); RE2 answers.
  it('answers a catastrophic schema pattern on 50 KB', async () => {
    const schema = { type: 'string', pattern: '^(a+)+$' };
    expect(await run({ output: JSON.stringify(`${'a'.repeat(50_000)}!`) }, { json_schema: schema })).toMatchObject({ passed: false });
  });
});

describe('valid_format settings', () => {
  it('defaults to json without a schema, and to the postgresql dialect', () => {
    expect(validFormat.settings.parse({})).toEqual({ format: 'json', sql_dialect: 'postgresql' });
  });

  it('refuses a schema that is not JSON', () => {
    expect(refusal('{"type": ')).toMatch(/^json_schema is not valid JSON/);
  });

  it('refuses a schema that is not a valid JSON Schema', () => {
    expect(refusal('{"type": "strin"}')).toMatch(/^json_schema is not a valid JSON Schema/);
    expect(refusal('[1, 2]')).toBe('json_schema must be a JSON Schema object (or true/false)');
  });

  it('refuses references it cannot resolve, patterns RE2 cannot run and unsupported drafts', () => {
    expect(refusal({ $ref: 'https://example.com/schema.json' })).toContain("can't resolve reference");
    expect(refusal({ type: 'string', pattern: '^(?=.*\\d).+$' })).toContain('lookahead');
    expect(refusal({ $schema: 'http://json-schema.org/draft-04/schema#' })).toContain('unsupported $schema');
    expect(refusal({ $async: true, type: 'object' })).toContain('async');
  });

  // Schemas without a URI of their own share one ajv instance per draft (json-schema.ts).
  it('keeps schemas apart: the same $id twice, a refused schema before a good one, many schemas in a row', async () => {
    const withId = (type: string) => ({ $id: 'https://example.com/answer.json', type });
    expect(await run({ output: '"text"' }, { json_schema: withId('string') })).toEqual({ status: 'processed', passed: true });
    expect(await run({ output: '"text"' }, { json_schema: withId('number') })).toMatchObject({ passed: false });
    expect(refusal({ type: 'object', properties: { a: { type: 'strin' } } })).toMatch(/not a valid JSON Schema/);
    expect(await run({ output: '{"a": "x"}' }, { json_schema: { type: 'object', properties: { a: { type: 'string' } } } })).toEqual({ status: 'processed', passed: true });
    const started = performance.now();
    for (let i = 0; i < 100; i++) {
      const schema = { $defs: { n: { type: 'integer', minimum: i } }, type: 'array', items: { $ref: '#/$defs/n' } };
      expect(await run({ output: `[${i}]` }, { json_schema: schema })).toEqual({ status: 'processed', passed: true });
      expect(await run({ output: `[${i - 1}]` }, { json_schema: schema })).toMatchObject({ passed: false });
    }
    // 400 compiles (settings parse and create, twice each): a fresh instance apiece took seconds.
    console.log(`400 schema compiles: ${(performance.now() - started).toFixed(0)} ms`);
  });

  it('refuses formats and SQL dialects it does not know', () => {
    expect(validFormat.settings.safeParse({ format: 'toml' }).error?.issues[0]?.path).toEqual(['format']);
    expect(validFormat.settings.safeParse({ format: 'sql', sql_dialect: 'oracle' }).error?.issues[0]?.path).toEqual(['sql_dialect']);
  });

  it('accepts every format and dialect it lists', () => {
    for (const format of ['json', 'markdown', 'python', 'sql', 'xml', 'html', 'yaml']) expect(validFormat.settings.safeParse({ format }).success).toBe(true);
    expect(validFormat.settings.safeParse({ format: 'sql', sql_dialect: 'transactsql' }).success).toBe(true);
  });
});
