// What the main thread accepts of a code target's result before JSON.parse builds it.
import { describe, expect, it } from 'vitest';
import { decode } from './protocol.js';

describe('decode', () => {
  it('builds a result within the bounds', () => {
    expect(decode('1' + JSON.stringify({ answer: [1, 2, { k: 'v' }] }), 64)).toEqual({ answer: [1, 2, { k: 'v' }] });
  });

  it('refuses a result of too many values, strings or distinct keys, before building it', () => {
    expect(() => decode(`1[${Array(1_000_001).fill(0).join(',')}]`, 64)).toThrow('code returned a value made of more than 1,000,000 values');
    const keys = `1{${Array.from({ length: 20_001 }, (_, i) => `"k${i}":0`).join(',')}}`;
    expect(() => decode(keys, 64)).toThrow('code returned a value made of more than 20,000 distinct keys');
    expect(() => decode('1' + JSON.stringify(Array(300_001).fill('s')), 64)).toThrow('code returned a value made of more than 300,000 strings');
    expect(decode('1' + JSON.stringify(Array(300_000).fill('s')), 64)).toHaveLength(300_000);
  });
});
