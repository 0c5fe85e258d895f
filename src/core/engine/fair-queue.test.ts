import { describe, expect, it } from 'vitest';
import { FairQueue } from './fair-queue.js';

describe('FairQueue', () => {
  it('serves parties in turns, each in its own order', () => {
    const q = new FairQueue<string>();
    for (let i = 1; i <= 4; i++) q.push('big', `big${i}`);
    q.push('small', 'small1');
    q.push('other', 'other1');
    q.push('small', 'small2');
    expect(q.length).toBe(7);
    expect(q.drain()).toEqual(['big1', 'small1', 'other1', 'big2', 'small2', 'big3', 'big4']);
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('gives a party that arrives late the turn after the current one', () => {
    const q = new FairQueue<number>();
    for (let i = 0; i < 1000; i++) q.push('a', i);
    expect(q.shift()).toBe(0);
    expect(q.shift()).toBe(1);
    q.push('b', -1);
    expect(q.shift()).toBe(2);
    expect(q.shift()).toBe(-1);
    expect(q.shift()).toBe(3);
  });

  it('one party alone is first come, first served', () => {
    const q = new FairQueue<number>();
    for (let i = 0; i < 5; i++) q.push('', i);
    expect(q.drain()).toEqual([0, 1, 2, 3, 4]);
  });

  it('removes a waiter that gave up, and a party left empty loses its turn', () => {
    const q = new FairQueue<string>();
    q.push('a', 'a1');
    q.push('b', 'b1');
    q.push('a', 'a2');
    expect(q.remove('b', 'b1')).toBe(true);
    expect(q.remove('b', 'b1')).toBe(false);
    expect(q.remove('a', 'nope')).toBe(false);
    expect(q.length).toBe(2);
    q.push('b', 'b2');
    expect(q.remove('a', 'a1')).toBe(true);
    expect(q.drain()).toEqual(['a2', 'b2']);
  });
});
