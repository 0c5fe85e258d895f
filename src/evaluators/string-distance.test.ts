import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { EvaluationResult, EvaluatorContext, EvaluatorInputs } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { noModels } from '../testing/no-models.js';
import { MAX_CHARS, hamming, jaroWinkler, stringDistance } from './string-distance.js';

// The `jaro-winkler` package (CommonJS, untyped) is the reference our linear-time version follows.
const referenceJaroWinkler = createRequire(import.meta.url)('jaro-winkler') as (a: string, b: string) => number;

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal };

function run(inputs: EvaluatorInputs, settings: Record<string, unknown> = {}): Promise<EvaluationResult> {
  return stringDistance.create(stringDistance.settings.parse(settings), { sandbox: createFakeSandbox(), models: noModels }).evaluate(inputs, context);
}

async function score(output: unknown, expected: unknown, settings: Record<string, unknown> = {}): Promise<number> {
  const result = await run({ output, expected_output: expected }, settings);
  expect(result.status).toBe('processed');
  return (result as { score: number }).score;
}

describe('string_distance settings', () => {
  it('defaults to Levenshtein, case-insensitive, trimmed', () => {
    expect(stringDistance.settings.parse({})).toEqual({ metric: 'levenshtein', case_sensitive: false, trim_whitespace: true });
  });

  it.each([
    [{ metric: 'jaro' }, 'metric'],
    [{ case_sensitive: 1 }, 'case_sensitive'],
    [{ trim_whitespace: 'no' }, 'trim_whitespace'],
  ])('refuses %j naming the field', (bad, field) => {
    expect(stringDistance.settings.safeParse(bad).error?.issues[0]?.path).toEqual([field]);
  });
});

describe('levenshtein', () => {
  it('scores 1 − distance / longer length (kitten → sitting is 3 edits: Wikipedia, "Levenshtein distance")', async () => {
    const result = await run({ output: 'kitten', expected_output: 'sitting' });
    expect(result).toEqual({ status: 'processed', score: 1 - 3 / 7, details: 'Levenshtein distance 3 over 7 characters: similarity 0.5714' });
    // flaw → lawn: distance 2 (same article)
    expect(await score('flaw', 'lawn')).toBe(0.5);
  });

  it('honours case_sensitive and trim_whitespace', async () => {
    expect(await score('Kitten', 'kitten')).toBe(1);
    expect(await score('Kitten', 'kitten', { case_sensitive: true })).toBe(1 - 1 / 6);
    expect(await score('  Paris ', 'Paris')).toBe(1);
    expect(await score('  Paris ', 'Paris', { trim_whitespace: false })).toBe(1 - 3 / 8);
  });

  it('counts characters, not UTF-16 units, and compares NFC-normalised text', async () => {
    // One emoji substituted for another is one edit over 4 characters.
    expect(await score('👍 ok', '👎 ok')).toBe(0.75);
    expect(await score('caf\u0065\u0301', 'caf\u00e9')).toBe(1);
  });

  it('compares non-string values as their JSON text', async () => {
    expect(await score(42, '42')).toBe(1);
    expect(await score({ a: 1 }, '{"a":1}')).toBe(1);
  });
});

describe('jaro_winkler', () => {
  it.each([
    // Wikipedia, "Jaro–Winkler distance" (Winkler 1990 examples); the package's own tests use these
    ['MARTHA', 'MARHTA', 0.961],
    ['DWAYNE', 'DUANE', 0.84],
    ['DIXON', 'DICKSONX', 0.813],
  ])('%s / %s → %f', async (a, b, expected) => {
    expect(await score(a, b, { metric: 'jaro_winkler' })).toBeCloseTo(expected, 3);
  });

  it('reports the distance in details', async () => {
    const result = await run({ output: 'martha', expected_output: 'MARHTA' }, { metric: 'jaro_winkler' });
    expect(result.details).toBe('Jaro-Winkler distance 0.0389: similarity 0.9611');
  });

  it('agrees with the jaro-winkler package on random strings', () => {
    let seed = 7;
    const random = (n: number, alphabet: string) =>
      Array.from({ length: n }, () => alphabet[(seed = (seed * 1103515245 + 12345) % 2147483648) % alphabet.length]).join('');
    for (let k = 0; k < 500; k++) {
      const alphabet = k % 2 === 0 ? 'ab' : 'abcdefghij';
      const a = random(1 + (k % 13), alphabet);
      const b = random(1 + ((k * 5) % 17), alphabet);
      expect(jaroWinkler(a, b)).toBeCloseTo(referenceJaroWinkler(a, b), 12);
    }
    expect(jaroWinkler('a', 'b')).toBe(referenceJaroWinkler('a', 'b'));
  });
});

describe('hamming', () => {
  it.each([
    // Wikipedia, "Hamming distance" examples
    ['karolin', 'kathrin', 3],
    ['karolin', 'kerstin', 3],
    ['1011101', '1001001', 2],
    ['2173896', '2233796', 3],
  ])('%s / %s differ in %i positions', async (a, b, d) => {
    expect(hamming(a, b)).toBe(d);
    expect(await score(a, b, { metric: 'hamming' })).toBe(1 - d / a.length);
  });

  it('counts the length difference as mismatches', async () => {
    const result = await run({ output: 'abc', expected_output: 'abxde' }, { metric: 'hamming' });
    expect(result).toEqual({
      status: 'processed',
      score: 1 - 3 / 5,
      details: 'Hamming distance 3 over 5 characters (2 of them from the length difference): similarity 0.4000',
    });
  });
});

describe('string_distance skips', () => {
  it('skips with a mapping hint when an input is missing', async () => {
    expect(await run({ expected_output: 'x' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^output is missing/) });
    expect(await run({ output: 'x', expected_output: null })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^expected_output is missing/) });
  });

  it('skips empty and over-long text', async () => {
    expect(await run({ output: '  ', expected_output: 'x' })).toEqual({ status: 'skipped', details: 'output is empty (after trimming whitespace): there is nothing to compare' });
    expect(await run({ output: 'x', expected_output: '' }, { trim_whitespace: false })).toEqual({ status: 'skipped', details: 'expected_output is empty: there is nothing to compare' });
    expect(await run({ output: 'x'.repeat(MAX_CHARS + 1), expected_output: 'x' })).toMatchObject({ status: 'skipped', details: expect.stringContaining('at most 20000') });
  });
});
