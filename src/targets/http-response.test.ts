// Output selection by JSONPath: results, and the library's path cache staying bounded when
// experiments keep saving new paths.
import { describe, expect, it } from 'vitest';
import { cachedPathCount, MAX_CACHED_PATHS, selectOutput } from './http-response.js';

describe('selectOutput', () => {
  it('selects with JSONPath, unwrapping a single match', () => {
    const answer = { choices: [{ message: { content: 'hi' } }, { message: { content: 'there' } }] };
    expect(selectOutput('$.choices[0].message.content', answer)).toBe('hi');
    expect(selectOutput('$.choices[*].message.content', answer)).toEqual(['hi', 'there']);
    expect(selectOutput('$.missing', answer)).toBeUndefined();
  });

  it('keeps the parsed-path cache bounded however many distinct paths are used', () => {
    const answer = { a: { b: 1 } };
    for (let i = 0; i < MAX_CACHED_PATHS * 3; i++) expect(selectOutput(`$.a.b${i === 0 ? '' : `.x${i}`}`, answer)).toBe(i === 0 ? 1 : undefined);
    expect(cachedPathCount()).toBeGreaterThan(0);
    expect(cachedPathCount()).toBeLessThanOrEqual(MAX_CACHED_PATHS + 10);
    // Still correct after the cache was emptied.
    expect(selectOutput('$.a.b', answer)).toBe(1);
  });
});
