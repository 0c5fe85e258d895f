// Output selection by JSONPath: results, and the library's path cache staying bounded when
// experiments keep saving new paths.
import { describe, expect, it } from 'vitest';
import { bodyValue, cachedPathCount, excerpt, MAX_CACHED_PATHS, MAX_JSON_CONTAINERS, MAX_JSON_DEPTH, selectOutput } from './http-response.js';
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

describe('bodyValue', () => {
  const none = new Redactor([]);

  it('refuses an answer too deep or made of too many arrays and objects, before building it', () => {
    const wide = `[${Array.from({ length: MAX_JSON_CONTAINERS }, (_, i) => `[${i}]`).join(',')}]`;
    for (const type of ['application/json', 'text/plain']) {
      expect(() => bodyValue(wide, type, 'http://agent', none)).toThrow('JSON from http://agent is made of more than 200,000 arrays and objects');
      expect(() => bodyValue('['.repeat(3_000_000) + ']'.repeat(3_000_000), type, 'http://agent', none)).toThrow(`JSON from http://agent is nested more than ${MAX_JSON_DEPTH} levels deep`);
    }
    const fits = `[${Array.from({ length: MAX_JSON_CONTAINERS - 1 }, (_, i) => `[${i}]`).join(',')}]`;
    expect(bodyValue(fits, 'application/json', 'http://agent', none)).toHaveLength(MAX_JSON_CONTAINERS - 1);
  });
});
