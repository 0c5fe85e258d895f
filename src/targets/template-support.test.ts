import { describe, expect, it } from 'vitest';
import { TemplateCache } from './template-support.js';

/** A cache whose `make` counts the parses, so a test sees which keys were kept. */
function counted(maxEntries: number, maxChars: number) {
  const cache = new TemplateCache<string>(maxEntries, maxChars);
  const made: string[] = [];
  const get = (key: string) => cache.get(key, () => (made.push(key), `parsed ${key}`));
  /** Whether `key` is still cached: a get that does not parse. */
  const kept = (key: string) => {
    const before = made.length;
    get(key);
    return made.length === before;
  };
  return { get, made, kept };
}

describe('TemplateCache', () => {
  it('parses a template once while it is cached and returns what was made', () => {
    const c = counted(10, 1000);
    expect(c.get('a')).toBe('parsed a');
    expect(c.get('a')).toBe('parsed a');
    expect(c.made).toEqual(['a']);
  });

  it('keeps at most maxEntries, dropping the oldest that was not used again', () => {
    const c = counted(3, 1000);
    for (const k of ['a', 'b', 'c']) c.get(k);
    c.get('a'); // a used again: b is now the one to go
    c.get('d');
    expect(c.kept('a')).toBe(true);
    expect(c.kept('c')).toBe(true);
    expect(c.kept('d')).toBe(true);
    expect(c.kept('b')).toBe(false);
  });

  it('under a stream of new templates, one used on every turn stays cached', () => {
    const c = counted(4, 1000);
    for (let i = 0; i < 100; i++) {
      c.get('hot');
      c.get(`cold ${i}`);
    }
    const parsesOfHot = c.made.filter((k) => k === 'hot').length;
    expect(parsesOfHot).toBe(1);
    expect(c.made.length).toBe(101);
  });

  it('bounds the total template length as well as the count', () => {
    const c = counted(100, 40);
    for (const k of ['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc', 'dddddddddd']) c.get(k); // 40 chars: all fit
    c.get('eeeeeeeeee'); // 50: the oldest goes
    expect(c.kept('aaaaaaaaaa')).toBe(false);
    expect(c.kept('eeeeeeeeee')).toBe(true);
  });

  it('bounds the total weight when entries are weighed (a parsed template by its tags, not its text)', () => {
    const cache = new TemplateCache<string>(100, 1000);
    const made: string[] = [];
    const heavy = (key: string) => cache.get(key, () => (made.push(key), key), () => 200);
    for (const k of ['a', 'b', 'c', 'd', 'e']) heavy(k); // five short keys of weight 200: 1,000
    heavy('f'); // 1,200: the oldest goes, though the keys are 6 characters in all
    const before = made.length;
    heavy('a');
    expect(made.length).toBe(before + 1);
    heavy('f');
    expect(made.length).toBe(before + 1);
    // Heavier than a quarter of the bound: parsed, never kept.
    cache.get('g', () => (made.push('g'), 'g'), () => 251);
    cache.get('g', () => (made.push('g'), 'g'), () => 251);
    expect(made.filter((k) => k === 'g')).toHaveLength(2);
  });

  it('never caches a template longer than a quarter of the length bound, but still parses it', () => {
    const c = counted(100, 40);
    const long = 'x'.repeat(11);
    expect(c.get(long)).toBe(`parsed ${long}`);
    expect(c.get(long)).toBe(`parsed ${long}`);
    expect(c.made).toEqual([long, long]);
  });
});
