// json_compare. The scores are worked by hand from the definition in json-compare.ts (leaves of
// expected_output; matched ÷ expected leaves, plus extra leaves with extra_fields "penalize");
// each case shows its count.
import { describe, expect, it } from 'vitest';
import type { EvaluatorContext, EvaluatorInputs } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { noModels } from '../testing/no-models.js';
import { jsonCompare } from './json-compare.js';

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal };

function run(inputs: EvaluatorInputs, settings: Record<string, unknown> = {}) {
  return jsonCompare.create(jsonCompare.settings.parse(settings), { sandbox: createFakeSandbox(), models: noModels }).evaluate(inputs, context);
}

const INVOICE = { number: 'INV-7', total: 99.5, paid: false, customer: { name: 'Ada', vat: null }, lines: [{ sku: 'A', qty: 2 }, { sku: 'B', qty: 1 }] };

describe('json_compare, scoring', () => {
  it('passes identical JSON given as text and as a value', async () => {
    // Leaves: number, total, paid, customer.name, customer.vat, 2 × (sku, qty) = 9.
    const result = await run({ output: JSON.stringify(INVOICE), expected_output: INVOICE });
    expect(result).toEqual({ status: 'processed', score: 1, passed: true, details: 'fields matched: 9 of 9' });
  });

  it('counts each mismatching and missing leaf once', async () => {
    const output = { number: 'INV-7', total: 99.0, paid: false, customer: { name: 'Ada' }, lines: [{ sku: 'A', qty: 2 }] };
    // Matched: number, paid, customer.name, lines.0.sku, lines.0.qty = 5 of 9. Unmatched: total,
    // customer.vat (missing), lines.1 (missing, 2 leaves).
    const result = await run({ output, expected_output: INVOICE });
    expect(result).toMatchObject({ status: 'processed', score: 5 / 9, passed: false });
    expect(result.details).toBe('fields matched: 5 of 9; mismatches: total: expected 99.5, got 99; customer.vat: missing; lines.1: missing');
  });

  it('fails a container where a value is expected, and the reverse, with all leaves under it', async () => {
    // Expected leaves: a.b, a.c, d = 3; "a" is a string (2 leaves lost), d is an object (1 lost).
    const result = await run({ output: { a: 'flat', d: { x: 1 } }, expected_output: { a: { b: 1, c: 2 }, d: 3 } });
    expect(result).toMatchObject({ score: 0, details: 'fields matched: 0 of 3; mismatches: a: expected an object, got "flat"; d: expected 3, got an object' });
  });

  it('lists extra fields without scoring them by default, and scores them with penalize', async () => {
    const inputs = { output: { id: 1, name: 'x', debug: { trace: 't', ms: 3 } }, expected_output: { id: 1, name: 'x' } };
    expect(await run(inputs)).toMatchObject({ score: 1, passed: true, details: 'fields matched: 2 of 2; extra in the output (not scored): debug' });
    // Penalize: the extra object's 2 leaves join the denominator: 2 of 4.
    expect(await run(inputs, { extra_fields: 'penalize' })).toMatchObject({ score: 0.5, passed: false, details: 'fields matched: 2 of 4; extra in the output: debug' });
  });

  it('counts an empty object or list as one leaf that any container of its kind matches', async () => {
    expect(await run({ output: { tags: [], meta: { a: 1 } }, expected_output: { tags: [], meta: {} } })).toMatchObject({ score: 1, details: 'fields matched: 2 of 2; extra in the output (not scored): meta.a' });
    expect(await run({ output: { tags: {} }, expected_output: { tags: [] } })).toMatchObject({ score: 0 });
  });

  it('compares scalars and keeps types apart', async () => {
    expect(await run({ output: '42', expected_output: 42 })).toMatchObject({ score: 1 });
    // The string "42" is not the number 42; false is not 0; null matches only null.
    expect(await run({ output: { a: '42', b: 0, c: null }, expected_output: { a: 42, b: false, c: null } })).toMatchObject({ score: 1 / 3 });
  });

  it('shows the first five mismatches and how many more there are', async () => {
    const expected = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, i]));
    const result = await run({ output: {}, expected_output: expected });
    expect(result.details).toBe('fields matched: 0 of 8; mismatches: k0: missing; k1: missing; k2: missing; k3: missing; k4: missing, …and 3 more');
  });
});

describe('json_compare, settings', () => {
  it('has defaults', () => {
    expect(jsonCompare.settings.parse({})).toEqual({ numeric_tolerance: 0, ignore_keys: [], list_matching: 'ordered', strings: 'exact', extra_fields: 'ignore' });
  });

  it('applies an absolute numeric tolerance, inclusive', async () => {
    const inputs = { output: { a: 10.5, b: 7 }, expected_output: { a: 10, b: 7.6 } };
    // |10.5 − 10| = 0.5 ≤ 0.5 matches; |7 − 7.6| = 0.6 > 0.5 does not: 1 of 2.
    expect(await run(inputs, { numeric_tolerance: 0.5 })).toMatchObject({ score: 0.5 });
    expect(await run(inputs)).toMatchObject({ score: 0 });
  });

  it('compares strings ignoring case when asked', async () => {
    const inputs = { output: { city: 'PARIS' }, expected_output: { city: 'Paris' } };
    expect(await run(inputs)).toMatchObject({ score: 0 });
    expect(await run(inputs, { strings: 'case_insensitive' })).toMatchObject({ score: 1 });
  });

  it('leaves ignored paths out on both sides, * matching any key or index', async () => {
    const expected = { id: 'a1', items: [{ id: 1, v: 'x' }, { id: 2, v: 'y' }] };
    const output = { id: 'zz', items: [{ id: 9, v: 'x' }, { id: 8, v: 'y' }], extra: { id: 3 } };
    // Without ignores: id, items.0.id, items.1.id mismatch: 2 of 5.
    expect(await run({ output, expected_output: expected })).toMatchObject({ score: 2 / 5 });
    expect(await run({ output, expected_output: expected }, { ignore_keys: ['id', 'items.*.id', 'extra'] })).toMatchObject({ score: 1, details: 'fields matched: 2 of 2' });
  });

  it('refuses invalid settings with their paths', () => {
    const issues = (s: unknown) => jsonCompare.settings.safeParse(s).error?.issues.map((i) => i.path);
    expect(issues({ numeric_tolerance: -1 })).toEqual([['numeric_tolerance']]);
    expect(issues({ ignore_keys: ['ok', 'a..b'] })).toEqual([['ignore_keys', 1]]);
    expect(issues({ list_matching: 'sorted' })).toEqual([['list_matching']]);
    expect(issues({ strings: 'fuzzy' })).toEqual([['strings']]);
  });
});

describe('json_compare, lists', () => {
  it('pairs elements by position when ordered', async () => {
    // Ordered: [b, a] against [a, b] misses both: 0 of 2; the extra third output element is listed.
    const result = await run({ output: ['b', 'a', 'c'], expected_output: ['a', 'b'] });
    expect(result).toMatchObject({ score: 0, details: 'fields matched: 0 of 2; mismatches: 0: expected "a", got "b"; 1: expected "b", got "a"; extra in the output (not scored): 2' });
  });

  it('finds the best pairing when unordered, where pairing greedily would not', async () => {
    // Matched leaves per pair: E0–O0 = 2 (x, y), E0–O1 = 2 (y, z), E1–O0 = 2 (x, z), E1–O1 = 0.
    // Taking E0–O0 first leaves E1–O1 (total 2); the optimum E0–O1 + E1–O0 gives 4 of 6.
    const expected = [{ x: 1, y: 1, z: 0 }, { x: 1, y: 9, z: 9 }];
    const output = [{ x: 1, y: 1, z: 9 }, { x: 5, y: 1, z: 0 }];
    expect(await run({ output, expected_output: expected }, { list_matching: 'unordered' })).toMatchObject({ score: 4 / 6 });
  });

  it('matches a permutation fully when unordered, and reports unpaired elements', async () => {
    const expected = [{ sku: 'A', qty: 2 }, { sku: 'B', qty: 1 }, { sku: 'C', qty: 5 }];
    const output = [{ sku: 'B', qty: 1 }, { sku: 'A', qty: 2 }];
    // A and B pair fully (4 leaves); C has no partner (2 leaves): 4 of 6.
    const result = await run({ output, expected_output: expected }, { list_matching: 'unordered' });
    expect(result).toMatchObject({ score: 4 / 6, details: 'fields matched: 4 of 6; mismatches: 2: no matching element in the output' });
    expect(await run({ output: [...output, { sku: 'C', qty: 5 }], expected_output: expected }, { list_matching: 'unordered' })).toMatchObject({ score: 1 });
  });
});

describe('json_compare, inputs', () => {
  it('fails output that is not JSON, noting a code fence', async () => {
    const result = await run({ output: 'The total is 99.5', expected_output: { total: 99.5 } });
    expect(result).toMatchObject({ status: 'processed', passed: false, score: 0 });
    expect(result.details).toMatch(/^output is not valid JSON: /);
    const fenced = await run({ output: '```json\n{"total": 99.5}\n```', expected_output: { total: 99.5 } });
    expect(fenced.details).toContain('wrapped in a Markdown code fence');
    expect(await run({ output: '  ', expected_output: {} })).toEqual({ status: 'processed', passed: false, score: 0, details: 'empty output' });
  });

  it('skips a missing or unusable expected_output and a missing output', async () => {
    expect(await run({ output: '{}' })).toMatchObject({ status: 'skipped', details: expect.stringContaining('expected_output is missing') });
    expect(await run({ output: '{}', expected_output: '' })).toMatchObject({ status: 'skipped' });
    expect(await run({ output: '{}', expected_output: 'not json' })).toMatchObject({ status: 'skipped', details: expect.stringContaining('expected_output is not valid JSON') });
    expect(await run({ expected_output: '{}' })).toMatchObject({ status: 'skipped', details: expect.stringContaining('output is missing') });
  });
});
