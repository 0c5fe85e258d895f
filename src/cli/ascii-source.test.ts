// scripts/ascii-source.js: the bundle's comments and regular expressions made ASCII must still
// mean what they meant, or a bundled server would match differently from the sources.
import { describe, expect, it } from 'vitest';
import { asciiComments } from '../../scripts/ascii-source.js';

/** Evaluates a module body's `export default` expression after the rewrite. */
function run(code: string): unknown {
  const ascii = asciiComments(code);
  expect([...ascii].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
  return new Function(ascii.replace('export default', 'return'))();
}

describe('asciiComments', () => {
  it('escapes comments and leaves the code around them alone', () => {
    const ascii = asciiComments('/** 3 × 4 → 12 … */\nconst a = 1; // ≈ one\nexport default a;');
    expect(ascii).toBe('/** 3 \\u00d7 4 \\u2192 12 \\u2026 */\nconst a = 1; // \\u2248 one\nexport default a;');
  });

  it('keeps what a regular expression matches: classes, the u and v flags, astral characters', () => {
    const [latin, unicode, astral, sets] = run('export default [/^[àł]+$/, /^é–$/u, /^[😀x]$/u, /^[\\p{L}--[ł]]$/v];') as RegExp[];
    expect(latin!.test('àł')).toBe(true);
    expect(latin!.test('a')).toBe(false);
    expect(unicode!.test('é–')).toBe(true);
    expect(astral!.test('😀')).toBe(true);
    expect(astral!.test('\ud83d')).toBe(false);
    expect(sets!.test('é')).toBe(true);
    expect(sets!.test('ł')).toBe(false);
  });

  it('turns an identity escape into the code escape, and keeps an escaped backslash', () => {
    const [identity, backslash] = run('export default [/^\\é$/, /^\\\\é$/];') as RegExp[];
    expect(identity!.test('é')).toBe(true);
    expect(backslash!.test('\\é')).toBe(true);
  });

  it('leaves a tagged template as it is: its raw text would change', () => {
    const code = 'export default String.raw`é`;';
    expect(asciiComments(code)).toBe(code);
  });
});
