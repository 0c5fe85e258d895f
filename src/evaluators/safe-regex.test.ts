// The compile bound of user patterns (safe-regex.ts): a pattern's cost is read from its text,
// so the ones that would take long to compile are refused without RE2 compiling them, and the
// estimate never refuses a pattern RE2 would accept within MAX_PROGRAM_SIZE for its size alone.
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileLinearRegex, MAX_PATTERN_WORK, MAX_PROGRAM_SIZE, patternCost, regexWork } from './safe-regex.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Refused, and RE2 was never asked to compile it. */
function refusedUncompiled(pattern: string, options = {}): string {
  const compile = vi.spyOn(RE2JS, 'compile');
  const result = compileLinearRegex(pattern, options);
  expect(result.ok, pattern.slice(0, 40)).toBe(false);
  expect(compile).not.toHaveBeenCalled();
  compile.mockRestore();
  return result.ok ? '' : result.reason;
}

describe('patternCost', () => {
  it('bounds the program RE2 compiles to: least ≤ programSize ≤ most, on random patterns', () => {
    const TOKENS = [
      '(', ')', '(?:', '(?P<n>', '(?<n>', '(?i)', '(?i:', '(?s)', '(?U)', '|', '+', '*', '?', '+?', '*?', '{2}', '{0}', '{0,7}', '{5,}', '{30}', '{100,200}',
      '{,5}', '{', '}', '^', '$', '.', 'a', 'b', 'é', '😀', '\\d', '\\w', '\\D', '\\b', '\\B', '\\A', '\\z', '\\pL', '\\PL', '\\p{Greek}', '\\P{Any}',
      '\\x41', '\\x{1F600}', '\\u00e9', '\\u{1F600}', '\\0', '\\n', '\\.', '\\Q.*\\E', '[ab]', '[^a]', '[a-z]', '[]a]', '[^\\s\\S]', '[\\P{Any}]',
      '[^\\x00-\\x{10FFFF}]', '[[:alpha:]]', '[\\d\\D]', '[\\x{100}-\\x{200}]', 'abc', 'abd',
    ];
    const pattern = fc.oneof(fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 16 }).map((p) => p.join('')), fc.string({ maxLength: 30 }));
    fc.assert(
      fc.property(pattern, fc.boolean(), (p, ignoreCase) => {
        const translated = RE2JS.translateRegExp(p);
        let size: number;
        try {
          size = RE2JS.compile(translated, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0).programSize();
        } catch {
          return;
        }
        const cost = patternCost(translated, ignoreCase);
        expect(cost.least, p).toBeLessThanOrEqual(size);
        expect(cost.most, p).toBeGreaterThanOrEqual(size);
      }),
      { numRuns: 5_000, seed: 4242 },
    );
  });

  it('multiplies repeats, adds up alternatives and counts the largest one as the least', () => {
    expect(patternCost('a{1000}'.repeat(14))).toMatchObject({ least: 14_000 });
    expect(patternCost('(?:a{1000}|b{1000}|c{1000})')).toMatchObject({ least: 1000 });
    expect(patternCost('(?:a{1000}|b{1000}|c{1000})').most).toBeGreaterThanOrEqual(3000);
    // A class that may be empty voids what contains it: RE2 compiles this to 2 instructions.
    expect(patternCost('(?:[^\\x00-\\x{10FFFF}]a){1000}').least).toBe(0);
  });

  it('weighs what RE2 compiles slowly: Unicode classes, and ranges under case folding', () => {
    expect(patternCost('\\pL').work).toBeGreaterThan(patternCost('a').work + 50);
    expect(patternCost('(?i)[\\x{100}-\\x{10FFFF}]').work).toBeGreaterThan(MAX_PATTERN_WORK);
    expect(patternCost('[\\x{100}-\\x{10FFFF}]').work).toBeLessThan(500);
    expect(patternCost('(?i)[a-z]+').work).toBeLessThan(500);
  });
});

describe('compileLinearRegex', () => {
  it('refuses the reported pattern (`(x+x+)+y` 1,250 times, 10,000 characters) without compiling it', () => {
    expect(refusedUncompiled('(x+x+)+y'.repeat(1250))).toBe(`pattern too long: 10000 characters, at most ${MAX_PATTERN_WORK - 400} are allowed (fewer with repeats and alternatives)`);
    expect(refusedUncompiled('(x+x+)+y'.repeat(500))).toMatch(/^pattern too large: it compiles to at least \d+ RE2 instructions, at most 2000 are allowed/);
    expect(refusedUncompiled('a{1000}'.repeat(14))).toContain('at least 14000');
  });

  it('refuses patterns too costly to compile without compiling them, naming the limit', () => {
    const alternatives = `(?:${Array.from({ length: 25 }, (_, i) => `x${i}{1000}`).join('|')})`;
    expect(refusedUncompiled(alternatives)).toContain(`at most ${MAX_PATTERN_WORK} are allowed`);
    expect(refusedUncompiled('(?i)[\\x{100}-\\x{10FFFF}]')).toContain('units of compile work');
    expect(refusedUncompiled('\\pL'.repeat(200))).toContain('units of compile work');
  });

  it('keeps what it accepted and refused before', () => {
    for (const ok of ['^\\d+ km$', '(a+)+$', '(?<year>\\d{4})-\\d{2}', '\\u00e9t\\u00e9', '(?i)hello\\s+world', '[ab]{1000}', '.{1000}!', 'a{1000}a{900}']) {
      expect(compileLinearRegex(ok, { multiline: true }).ok, ok).toBe(true);
    }
    expect(compileLinearRegex('a{1000}a{1000}$').ok).toBe(false);
    expect(compileLinearRegex('(?:a?){1000}a{1000}').ok).toBe(false);
    const lookahead = compileLinearRegex('^(?=.*\\d).+$');
    expect(lookahead.ok ? '' : lookahead.reason).toContain('lookahead');
    const invalid = compileLinearRegex('a{1001}');
    expect(invalid.ok ? '' : invalid.reason).toContain('invalid repeat count');
  });

  it('accepts patterns up to the limits: the estimate only refuses what RE2 would refuse or could not compile quickly', () => {
    // 1,998 literals compile to 2,000 instructions, the most allowed.
    const longest = 'ab'.repeat(999);
    expect(compileLinearRegex(longest).ok).toBe(true);
    expect(compileLinearRegex(`${longest}c`).ok).toBe(false);
    const words = `\\b(?:${Array.from({ length: 300 }, (_, i) => `w${i.toString(36)}x`).join('|')})\\b`;
    expect(regexWork(words)).toBeLessThanOrEqual(MAX_PATTERN_WORK);
    const compiled = compileLinearRegex(words);
    expect(compiled.ok && compiled.regex.programSize()).toBeLessThanOrEqual(MAX_PROGRAM_SIZE);
  });
});
