import { describe, expect, it } from 'vitest';
import { slugify } from './slug.js';

describe('slugify', () => {
  it('transliterates letters that decomposition alone would turn into hyphens', () => {
    expect(slugify('Über Größe')).toBe('uber-grosse');
    expect(slugify('Łódź ørsted Æther')).toBe('lodz-orsted-aether');
    expect(slugify('Привет, мир')).toBe('privet-mir');
    // An accent typed as a combining mark is the same letter.
    expect(slugify('Cafe\u0301 menu')).toBe('cafe-menu');
  });

  it('makes every other character a separator, never a join of two words', () => {
    expect(slugify('support/triage v2.1')).toBe('support-triage-v2-1');
    expect(slugify('  My Eval!  ')).toBe('my-eval');
    expect(slugify('a — b 😀 c')).toBe('a-b-c');
  });

  it('falls back when nothing is left, and steps around reserved words', () => {
    expect(slugify('日本語のテスト')).toBe('experiment');
    expect(slugify('???', 'dataset')).toBe('dataset');
    expect(slugify('Runs')).toBe('runs-1');
  });

  it('leaves room for a -N suffix within the 100-character limit', () => {
    const slug = slugify('word '.repeat(60));
    expect(slug.length).toBeLessThanOrEqual(90);
    expect(slug.endsWith('-')).toBe(false);
  });
});
