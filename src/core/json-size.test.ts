import { describe, expect, it } from 'vitest';
import { approxJsonBytes, draftBytes, eventBytes, sizeOutput } from './json-size.js';
import type { CellDraft } from './run-store.js';

describe('approxJsonBytes', () => {
  it('is about the length of the JSON the commit writes', () => {
    const values: unknown[] = [
      'plain text answer',
      { answer: 'Paris', confidence: 0.93, tags: ['geo', 'capital'], nested: { ok: true, none: null } },
      Array.from({ length: 1_000 }, (_, i) => ({ id: i, label: `item ${i}` })),
      'x'.repeat(1_000_000),
    ];
    for (const v of values) {
      const exact = JSON.stringify(v).length;
      expect(approxJsonBytes(v)).toBeGreaterThan(exact * 0.7);
      expect(approxJsonBytes(v)).toBeLessThan(exact * 1.5 + 16);
    }
  });

  it('walks deep nesting without the call stack', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(approxJsonBytes(deep)).toBeGreaterThan(400_000);
  });
});

describe('draftBytes', () => {
  const base = { cell: 0, rowIndex: 0, targetId: 't', repeat: 0, durationMs: 1, attempts: 1, retries: [], cached: false, evaluations: [] };
  it('counts a large entry, a large output and a failure', () => {
    const row = { text: 'r'.repeat(500_000) };
    const ok = { ...base, entry: row, ok: true, output: 'o'.repeat(300_000) } as CellDraft;
    const failed = { ...base, entry: { q: 1 }, ok: false, error: 'boom' } as CellDraft;
    expect(draftBytes(ok)).toBeGreaterThan(800_000);
    expect(draftBytes(ok)).toBeLessThan(800_100);
    expect(draftBytes(failed)).toBeLessThan(40);
  });
});

describe('sizeOutput', () => {
  const nested = (levels: number): unknown => {
    let v: unknown = 'leaf';
    for (let i = 0; i < levels; i++) v = i % 2 === 0 ? [v, 1, null] : { k: v, n: true };
    return v;
  };

  it('sizes as approxJsonBytes does, and refuses containers maxDepth levels down', () => {
    for (const v of ['text', 42, null, { a: [1, 'two', { three: false }] }, Array.from({ length: 500 }, (_, i) => ({ id: i, s: `s${i}` })), nested(499)]) {
      expect(sizeOutput(v, 500)).toBe(approxJsonBytes(v));
    }
    // 500 levels of containers: the deepest is 499 levels down from the root.
    expect(sizeOutput(nested(500), 500)).toBe(approxJsonBytes(nested(500)));
    expect(sizeOutput(nested(501), 500)).toBeNull();
    expect(sizeOutput(nested(100_000), 500)).toBeNull();
  });

  it("is what the commit and the event count for the same output", () => {
    const output = { answer: 'x'.repeat(10_000), items: [1, 2, 3] };
    const size = sizeOutput(output, 500)!;
    const draft = { cell: 0, rowIndex: 0, targetId: 't', repeat: 0, durationMs: 1, attempts: 1, retries: [], cached: false, evaluations: [], entry: {}, ok: true, output } as CellDraft;
    expect(draftBytes(draft)).toBe(approxJsonBytes({}) + size + 2);
    expect(eventBytes({ type: 'target_result', index: 0, targetId: 't', repeat: 0, output, cost: null, duration: 1, error: null, seq: 1 } as never)).toBe(100 + size);
  });
});
