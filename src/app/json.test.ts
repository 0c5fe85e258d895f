import { describe, expect, it } from 'vitest';
import { startTestAssay } from '../testing/harness.js';
import { MAX_JSON_CONTAINERS, MAX_JSON_DISTINCT_KEYS, MAX_JSON_VALUES, parseUntrustedJson } from './json.js';

describe('parseUntrustedJson', () => {
  it('refuses a body too deep or with too many arrays and objects before building it', () => {
    expect(() => parseUntrustedJson('['.repeat(4_000_000) + ']'.repeat(4_000_000))).toThrow(/nested more than 64 levels/);
    const wide = `[${Array(MAX_JSON_CONTAINERS).fill('[]').join(',')}]`;
    expect(() => parseUntrustedJson(wide)).toThrow(/more than 200,000 arrays and objects.*CSV or JSON Lines/);
    // One fewer passes, and brackets inside strings do not count.
    expect(parseUntrustedJson(`[${Array(MAX_JSON_CONTAINERS - 1).fill('[]').join(',')}]`)).toHaveLength(MAX_JSON_CONTAINERS - 1);
    expect(parseUntrustedJson(JSON.stringify({ s: '['.repeat(1000) }))).toEqual({ s: '['.repeat(1000) });
  });

  it('refuses a body of more than a million values before building it, and counts no comma inside a string', () => {
    const numbers = (n: number) => `{"name":"n","rows":[{"a":[${Array(n).fill(1).join(',')}]}]}`;
    // The body's own two members take a separator: one value fewer fits in the array.
    expect(() => parseUntrustedJson(numbers(MAX_JSON_VALUES))).toThrow(/more than 1,000,000 values.*CSV or JSON Lines/);
    expect((parseUntrustedJson(numbers(MAX_JSON_VALUES - 1)) as { rows: { a: number[] }[] }).rows[0]!.a).toHaveLength(MAX_JSON_VALUES - 1);
    expect(parseUntrustedJson(JSON.stringify({ s: ','.repeat(2_000_000) }))).toEqual({ s: ','.repeat(2_000_000) });
  });

  it('refuses a body of more than 20,000 distinct keys before building it, and keeps rows that repeat their columns', () => {
    const keys = (n: number) => `{"name":"d","rows":[${Array.from({ length: n }, (_, i) => `{"col${i}":1}`).join(',')}]}`;
    // The body's own `name` and `rows` are two of them.
    expect(() => parseUntrustedJson(keys(MAX_JSON_DISTINCT_KEYS - 1))).toThrow(/more than 20,000 distinct keys/);
    expect((parseUntrustedJson(keys(MAX_JSON_DISTINCT_KEYS - 2)) as { rows: unknown[] }).rows).toHaveLength(MAX_JSON_DISTINCT_KEYS - 2);
    const rows = `{"name":"d","rows":[${Array.from({ length: 60_000 }, (_, i) => `{${Array.from({ length: 10 }, (_, k) => `"c${k}":${i}`).join(',')}}`).join(',')}]}`;
    expect((parseUntrustedJson(rows) as { rows: unknown[] }).rows).toHaveLength(60_000);
  });

  it('refuses a lone surrogate in a string or a key, and keeps paired ones', () => {
    for (const text of ['{"name":"\\ud800"}', '{"a":["x\\udfffy"]}', '{"\\udbff":1}']) {
      expect(() => parseUntrustedJson(text), text).toThrow(/lone surrogate/);
    }
    expect(parseUntrustedJson('{"emoji":"\\ud83d\\ude00"}')).toEqual({ emoji: '😀' });
  });

  it('answers the API with a 400 that names the problem, and the server keeps answering', async () => {
    const t = await startTestAssay();
    try {
      const deep = await t.req('POST', '/api/datasets', { raw: '{"name":"d","rows":[{"a":' + '['.repeat(2_000_000) + ']'.repeat(2_000_000) + '}]}' });
      expect(deep.status).toBe(400);
      expect(await deep.text()).toContain('nested more than 64 levels');
      const surrogate = await t.req('POST', '/api/datasets', { raw: '{"name":"\\ud800","rows":[{"a":1}]}' });
      expect(surrogate.status).toBe(400);
      expect(await surrogate.text()).toContain('lone surrogate');
      expect((await t.req('GET', '/api/datasets')).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
