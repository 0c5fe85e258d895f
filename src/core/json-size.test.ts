import { describe, expect, it } from 'vitest';
import { approxJsonBytes, draftBytes } from './json-size.js';
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
