// Output selection by JSONPath: results, and the library's path cache staying bounded when
// experiments keep saving new paths.
import { describe, expect, it } from 'vitest';
import { cachedPathCount, excerpt, MAX_CACHED_PATHS, selectOutput } from './http-response.js';
import { Redactor } from './redact.js';

const none = new Redactor([]);

describe('selectOutput', () => {
  it('selects with JSONPath, unwrapping a single match', () => {
    const answer = { choices: [{ message: { content: 'hi' } }, { message: { content: 'there' } }] };
    expect(selectOutput('$.choices[0].message.content', answer, none)).toBe('hi');
    expect(selectOutput('$.choices[*].message.content', answer, none)).toEqual(['hi', 'there']);
    expect(selectOutput('$.missing', answer, none)).toBeUndefined();
  });

  it('keeps the parsed-path cache bounded however many distinct paths are used', () => {
    const answer = { a: { b: 1 } };
    for (let i = 0; i < MAX_CACHED_PATHS * 3; i++) expect(selectOutput(`$.a.b${i === 0 ? '' : `.x${i}`}`, answer, none)).toBe(i === 0 ? 1 : undefined);
    expect(cachedPathCount()).toBeGreaterThan(0);
    expect(cachedPathCount()).toBeLessThanOrEqual(MAX_CACHED_PATHS + 10);
    // Still correct after the cache was emptied.
    expect(selectOutput('$.a.b', answer, none)).toBe(1);
  });
});

describe('excerpt', () => {
  it('redacts before it cuts, so a secret across the cut is not shown in part', () => {
    const secret = 'tok-0123456789abcdef';
    for (let at = 180; at <= 200; at++) {
      const quoted = excerpt(`${'x'.repeat(at)}${secret} and more`, new Redactor([secret]));
      expect(quoted.length).toBeLessThanOrEqual(201);
      expect(quoted).not.toContain(secret.slice(0, 4));
    }
  });
});
