import { describe, expect, it } from 'vitest';
import { StalledWrites } from './sse-stalls.js';

function ledger() {
  let now = 0;
  const writes = new StalledWrites({ budgetBytes: 100, graceMs: 2_000, maxStallMs: 60_000, ceilingBytes: 400 }, () => now);
  const cut: string[] = [];
  const stall = (name: string, bytes: number) => writes.stall(bytes, () => cut.push(name));
  return { writes, cut, stall, at: (ms: number) => ((now = ms), writes.check()) };
}

describe('the ledger of stalled streams', () => {
  it('cuts nothing within the budget until a stream has waited the longest allowed', () => {
    const { cut, stall, at } = ledger();
    stall('a', 60);
    at(1_000);
    stall('b', 40);
    at(59_999);
    expect(cut).toEqual([]);
    at(60_000);
    expect(cut).toEqual(['a']);
    at(61_000);
    expect(cut).toEqual(['a', 'b']);
  });

  it('over the budget, cuts the longest-waiting streams past the grace until the rest fit', () => {
    const { writes, cut, stall, at } = ledger();
    stall('a', 60);
    at(500);
    stall('b', 60);
    at(1_000);
    stall('c', 30);
    // 150 bytes held, but no stream has waited 2 s yet: a fast reader of a large frame.
    expect(cut).toEqual([]);
    at(2_000);
    expect(cut).toEqual(['a']);
    expect(writes.held).toBe(90);
    at(10_000);
    expect(cut).toEqual(['a']);
  });

  it('over the ceiling, cuts the longest-waiting streams even within their grace', () => {
    const { writes, cut, stall, at } = ledger();
    stall('a', 150);
    at(100);
    stall('b', 150);
    at(200);
    stall('c', 90);
    // 390 bytes held, within the ceiling and within the grace: nothing is cut.
    expect(cut).toEqual([]);
    at(300);
    stall('d', 150);
    // 540 held: 'a' goes at once, and the rest fit under the ceiling.
    expect(cut).toEqual(['a']);
    expect(writes.held).toBe(390);
    // Under the ceiling, the budget waits for the grace again: each goes once it has waited 2 s.
    at(2_100);
    expect(cut).toEqual(['a', 'b']);
    at(2_200);
    expect(cut).toEqual(['a', 'b', 'c']);
    expect(writes.held).toBe(150);
  });

  it('forgets a stream whose socket drained', () => {
    const { writes, cut, stall, at } = ledger();
    const release = stall('a', 80);
    stall('b', 80);
    release();
    release();
    expect(writes.held).toBe(80);
    at(5_000);
    expect(cut).toEqual([]);
  });
});
