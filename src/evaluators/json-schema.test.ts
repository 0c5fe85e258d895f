// The compile bound of users' JSON Schemas (json-schema.ts): a schema's size is weighed by one
// walk over it before ajv compiles it, so schemas that would hold the server for long are
// refused (naming the limit) without being compiled, whichever evaluator prepares them.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_SCHEMA_DEPTH, MAX_SCHEMA_WORK, prepareJsonSchema, schemaWork } from './json-schema.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The reported shape: `required` string properties p0…p(n-1). */
function wideSchema(n: number): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) properties[`p${i}`] = { type: 'string' };
  return { type: 'object', properties, required: Object.keys(properties) };
}

/** Refused, and ajv was never asked to compile it. */
function refusedUncompiled(setting: string | Record<string, unknown>): string {
  const compile = vi.spyOn(Ajv2020.prototype, 'compile');
  const prepared = prepareJsonSchema(setting);
  expect(prepared.ok).toBe(false);
  expect(compile).not.toHaveBeenCalled();
  compile.mockRestore();
  return prepared.ok ? '' : prepared.reason;
}

describe('schemaWork', () => {
  it('counts every object, key and list item of a schema', () => {
    expect(schemaWork({ type: 'string' })).toBe(2);
    // 1 + 3 keys; properties: 1 + 2 names; 2 × (1 + 1); required: 1 + 2 items.
    expect(schemaWork(wideSchema(2))).toBe(4 + 3 + 4 + 3);
    expect(schemaWork(wideSchema(10_000))).toBe(Number.POSITIVE_INFINITY);
  });

  it('counts data (enum, default…) at a fiftieth unless a $ref could make a schema of it', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => `v${i}`);
    expect(schemaWork({ enum: values })).toBeLessThan(MAX_SCHEMA_WORK);
    // A reference can point into data (ajv compiles what it finds there).
    const huge = wideSchema(1_000);
    expect(schemaWork({ default: huge, $ref: '#/default' })).toBe(Number.POSITIVE_INFINITY);
    expect(schemaWork({ default: huge })).toBeLessThan(MAX_SCHEMA_WORK);
    // A property named like a data keyword is still a schema.
    expect(schemaWork({ type: 'object', properties: { enum: huge } })).toBe(Number.POSITIVE_INFINITY);
  });

  it('weighs references and patterns, and refuses deep nesting', () => {
    expect(schemaWork({ $ref: '#/$defs/a', $defs: { a: { type: 'string' } } })).toBeGreaterThan(8);
    expect(schemaWork({ type: 'string', pattern: '\\pL'.repeat(50) })).toBeGreaterThan(schemaWork({ type: 'string', pattern: 'a' }) as number + 10);
    expect(schemaWork({ type: 'object', patternProperties: { ['\\pL'.repeat(50)]: true } })).toBeGreaterThan(20);
    let deep: unknown = {};
    for (let i = 0; i < MAX_SCHEMA_DEPTH + 1; i++) deep = { not: deep };
    expect(schemaWork(deep)).toBe('too deep');
  });
});

describe('prepareJsonSchema bounds', () => {
  it('refuses the reported schemas (2,000 and 10,000 required properties) without compiling them, naming the limit', () => {
    for (const n of [2_000, 10_000]) {
      expect(refusedUncompiled(wideSchema(n))).toBe(`is too large to compile: at most ${MAX_SCHEMA_WORK} units of schema (a unit is a subschema, keyword or list item; a $ref counts 8) are allowed: split it or use fewer properties`);
      expect(refusedUncompiled(JSON.stringify(wideSchema(n)))).toContain(`at most ${MAX_SCHEMA_WORK} units`);
    }
    // Deeper than JSON.stringify can go (it recurses): refused before anything recurses into it.
    const deep = `${'{"items":'.repeat(20_000)}{}${'}'.repeat(20_000)}`;
    expect(refusedUncompiled(deep)).toBe(`is nested too deeply: at most ${MAX_SCHEMA_DEPTH} levels of JSON are allowed`);
    expect(refusedUncompiled(JSON.parse(deep) as Record<string, unknown>)).toContain('nested too deeply');
  });

  it('accepts the largest schema of the shape under the limit, and validates with it', () => {
    let n = 1;
    while (schemaWork(wideSchema(n + 1)) !== Number.POSITIVE_INFINITY) n++;
    const prepared = prepareJsonSchema(wideSchema(n));
    expect(prepared.ok && prepared.check).toBeTruthy();
    const value = Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, 'x']));
    expect(prepared.ok && prepared.check!(value)).toEqual([]);
    expect(prepared.ok && prepared.check!({ ...value, p0: 1 })).toEqual(['/p0 must be string']);
  });

  it('compiles a definition named many times once, and still validates every place', () => {
    const big = wideSchema(50);
    const schema = { $defs: { big }, type: 'object', properties: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`q${i}`, { $ref: '#/$defs/big' }])) };
    const prepared = prepareJsonSchema(schema);
    expect(prepared.ok).toBe(true);
    const good = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p${i}`, 'x']));
    expect(prepared.ok && prepared.check!({ q0: good, q19: good })).toEqual([]);
    expect(prepared.ok && prepared.check!({ q0: good, q19: { ...good, p49: 2 } })).toEqual(['/q19/p49 must be string']);
  });

  it('refuses a pattern too costly to compile inside a schema, naming it', () => {
    const prepared = prepareJsonSchema({ type: 'string', pattern: '(x+x+)+y'.repeat(1250) });
    expect(prepared.ok ? '' : prepared.reason).toMatch(/^is not a valid JSON Schema: pattern "\(x\+x\+\)\+y.*": pattern too long: 10000 characters/);
  });

  it('compiles a setting once when it is prepared twice in a row (settings check, then create)', () => {
    const text = JSON.stringify(wideSchema(40));
    const compile = vi.spyOn(Ajv2020.prototype, 'compile');
    expect(prepareJsonSchema(text).ok).toBe(true);
    expect(prepareJsonSchema(text).ok).toBe(true);
    expect(compile).toHaveBeenCalledTimes(1);
  });
});
