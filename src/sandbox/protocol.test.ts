// What the main thread accepts of a code target's result before JSON.parse builds it.
import { describe, expect, it } from 'vitest';
import { setTurnBudget, TURN_BUDGET_MS } from '../core/turns.js';
import { decode } from './protocol.js';

describe('decode', () => {
  it('builds a result within the bounds', async () => {
    expect(await decode('1' + JSON.stringify({ answer: [1, 2, { k: 'v' }] }), 64)).toEqual({ answer: [1, 2, { k: 'v' }] });
  });

  it('refuses a result of too many values, strings or distinct keys, before building it', async () => {
    await expect(decode(`1[${Array(1_000_001).fill(0).join(',')}]`, 64)).rejects.toThrow('code returned a value made of more than 1,000,000 values');
    const keys = `1{${Array.from({ length: 20_001 }, (_, i) => `"k${i}":0`).join(',')}}`;
    await expect(decode(keys, 64)).rejects.toThrow('code returned a value made of more than 20,000 distinct keys');
    await expect(decode('1' + JSON.stringify(Array(300_001).fill('s')), 64)).rejects.toThrow('code returned a value made of more than 300,000 strings');
    expect(await decode('1' + JSON.stringify(Array(300_000).fill('s')), 64)).toHaveLength(300_000);
  });

  it('scans a result and builds it on separate turns once the turn is spent', async () => {
    // 1 MB of numbers: 15–35 ms each, and the cell's evaluators go on in the same turn (security
    // review of 2026-12-07, runs over wide rows). A budget of 0: always spent.
    const text = '1' + JSON.stringify({ a: Array.from({ length: 1_000 }, (_, i) => i % 10) });
    let turns = 0;
    let counting = true;
    const tick = (): void => {
      turns++;
      if (counting) setImmediate(tick);
    };
    setTurnBudget(0);
    try {
      setImmediate(tick);
      const value = await decode(text, 64);
      counting = false;
      expect(turns).toBeGreaterThanOrEqual(1);
      expect(value).toEqual(JSON.parse(text.slice(1)));
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
    }
  });
});
