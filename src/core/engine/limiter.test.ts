import { describe, expect, it } from 'vitest';
import { settle } from '../../testing/fake-clock.js';
import { KeyedLimiter, MAX_LIMITER_KEYS, Semaphore } from './limiter.js';

/** Starts `n` holders that each take a slot and keep it until released by the test. */
function holders(sem: Semaphore, n: number, signal?: AbortSignal) {
  const order: number[] = [];
  const releases = new Map<number, () => void>();
  const acquired = Array.from({ length: n }, (_, i) =>
    sem.acquire(signal).then((release) => {
      order.push(i);
      releases.set(i, release);
    }),
  );
  return { order, releases, acquired };
}

describe('Semaphore', () => {
  it('never lets more than `limit` holders in under many concurrent acquirers', async () => {
    const sem = new Semaphore(3);
    let active = 0;
    let peak = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const release = await sem.acquire();
        active++;
        peak = Math.max(peak, active);
        expect(sem.inUse).toBeLessThanOrEqual(3);
        for (let k = 0; k < (i % 4) + 1; k++) await settle();
        active--;
        done++;
        release();
      }),
    );
    expect(done).toBe(50);
    expect(peak).toBe(3);
    expect(sem.inUse).toBe(0);
    expect(sem.waiting).toBe(0);
  });

  it('hands slots out in arrival order', async () => {
    const sem = new Semaphore(1);
    const { order, releases } = holders(sem, 5);
    await settle();
    expect(order).toEqual([0]);
    for (let i = 0; i < 4; i++) {
      releases.get(i)!();
      await settle();
    }
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('does not let a newcomer overtake someone already waiting', async () => {
    const sem = new Semaphore(1);
    const first = await sem.acquire();
    const got: string[] = [];
    void sem.acquire().then((r) => (got.push('waiter'), r()));
    first();
    // A slot is free now, but it belongs to the waiter.
    void sem.acquire().then((r) => (got.push('newcomer'), r()));
    await settle();
    expect(got).toEqual(['waiter', 'newcomer']);
  });

  it("serves parties in turns: one project's queued calls do not all go before another's", async () => {
    const sem = new Semaphore(2);
    const held = [await sem.acquire(undefined, 'big'), await sem.acquire(undefined, 'big')];
    const got: string[] = [];
    const wait = (party: string, name: string) => void sem.acquire(undefined, party).then((r) => (got.push(name), held.push(r)));
    for (let i = 1; i <= 50; i++) wait('big', `big${i}`);
    wait('small', 'small1');
    wait('small', 'small2');
    expect(sem.waiting).toBe(52);
    for (let i = 0; i < 5; i++) {
      held.shift()!();
      await settle();
    }
    expect(got).toEqual(['big1', 'small1', 'big2', 'small2', 'big3']);
    // Once the small project is served, the big one has every slot again, in its own order.
    for (let i = 0; i < 3; i++) {
      held.shift()!();
      await settle();
    }
    expect(got.slice(5)).toEqual(['big4', 'big5', 'big6']);
  });

  it("a waiter that gives up leaves its party's turn to the others", async () => {
    const sem = new Semaphore(1);
    const first = await sem.acquire(undefined, 'a');
    const got: string[] = [];
    const controller = new AbortController();
    const gaveUp = sem.acquire(controller.signal, 'b');
    void sem.acquire(undefined, 'a').then((r) => (got.push('a'), r()));
    void sem.acquire(undefined, 'c').then((r) => (got.push('c'), r()));
    controller.abort(new Error('stopped'));
    await expect(gaveUp).rejects.toThrow('stopped');
    expect(sem.waiting).toBe(2);
    first();
    await settle();
    expect(got).toEqual(['a', 'c']);
    expect(sem.inUse).toBe(0);
  });

  it('rejects a waiter whose signal aborts, with the signal reason, and does not leak its slot', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const controller = new AbortController();
    const waiting = sem.acquire(controller.signal);
    const behind = sem.acquire();
    expect(sem.waiting).toBe(2);
    controller.abort(new Error('stop waiting'));
    await expect(waiting).rejects.toThrow('stop waiting');
    expect(sem.waiting).toBe(1);
    release();
    const next = await behind;
    expect(sem.inUse).toBe(1);
    next();
    expect(sem.inUse).toBe(0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const sem = new Semaphore(5);
    const controller = new AbortController();
    controller.abort();
    await expect(sem.acquire(controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(sem.inUse).toBe(0);
  });

  it('ignores an abort that comes after the slot was granted', async () => {
    const sem = new Semaphore(1);
    const controller = new AbortController();
    const release = await sem.acquire(controller.signal);
    controller.abort();
    expect(sem.inUse).toBe(1);
    release();
    expect(sem.inUse).toBe(0);
  });

  it('treats a second release as a no-op', async () => {
    const sem = new Semaphore(2);
    const a = await sem.acquire();
    await sem.acquire();
    a();
    a();
    expect(sem.inUse).toBe(1);
  });

  it('admits waiters at once when the limit goes up', async () => {
    const sem = new Semaphore(1);
    const { order } = holders(sem, 4);
    await settle();
    expect(order).toEqual([0]);
    sem.setLimit(3);
    await settle();
    expect(order).toEqual([0, 1, 2]);
    expect(sem.limit).toBe(3);
  });

  it('lets holders drain below a lowered limit before admitting anyone', async () => {
    const sem = new Semaphore(3);
    const { order, releases } = holders(sem, 5);
    await settle();
    expect(order).toEqual([0, 1, 2]);
    sem.setLimit(1);
    releases.get(0)!();
    releases.get(1)!();
    await settle();
    expect(order).toEqual([0, 1, 2]);
    releases.get(2)!();
    await settle();
    expect(order).toEqual([0, 1, 2, 3]);
    expect(sem.inUse).toBe(1);
  });

  it('never drops the limit below one', () => {
    const sem = new Semaphore(4);
    sem.setLimit(0);
    expect(sem.limit).toBe(1);
    sem.setLimit(2.7);
    expect(sem.limit).toBe(2);
  });
});

describe('KeyedLimiter', () => {
  it('forgets idle keys past MAX_LIMITER_KEYS, never one with a holder', async () => {
    const limiter = new KeyedLimiter(() => 2);
    const release = await limiter.acquire('https://busy.example');
    for (let i = 0; limiter.size < MAX_LIMITER_KEYS; i++) limiter.get(`https://o${i}.example`);
    limiter.get('https://new.example');
    expect(limiter.size).toBe(2);
    // The busy key is still the same semaphore: its holder's slot counts.
    expect(limiter.get('https://busy.example').inUse).toBe(1);
    release();
  });

  it('gives each key its own limit, so a busy key does not block another', async () => {
    const limiter = new KeyedLimiter((key) => (key === 'slow' ? 1 : 2));
    await limiter.acquire('slow');
    let blocked = true;
    void limiter.acquire('slow').then(() => (blocked = false));
    const fast1 = await limiter.acquire('fast');
    const fast2 = await limiter.acquire('fast');
    await settle();
    expect(blocked).toBe(true);
    expect(limiter.get('fast').inUse).toBe(2);
    expect(limiter.get('slow').limit).toBe(1);
    fast1();
    fast2();
  });

  it('shares one semaphore per key across callers', async () => {
    let created = 0;
    const limiter = new KeyedLimiter(() => (created++, 1));
    expect(limiter.get('k')).toBe(limiter.get('k'));
    const runA = await limiter.acquire('k');
    let runBGotIt = false;
    void limiter.acquire('k').then(() => (runBGotIt = true));
    await settle();
    expect(runBGotIt).toBe(false);
    runA();
    await settle();
    expect(runBGotIt).toBe(true);
    expect(created).toBe(1);
  });
});
