// The cluster's shared limits between two "processes" (two SharedLimits on separate ioredis
// connections to a private redis-server): together they never exceed a cap, a 429 seen by one
// lowers the limit the other uses, a provider's pause stops both, the slots of a holder that
// dies without releasing come back once their leases expire, and a slot freed by a call serves
// the same process's next call without a Redis command, but never above a lowered limit.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LIMITER_KEYS } from '../core/engine/limiter.js';
import { silentLogger, systemClock } from '../core/ports.js';
import { type PrivateRedis, startRedis } from '../testing/redis-server.js';
import { SharedLimits, type SharedLimitsOptions } from './redis-limiters.js';

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const open: SharedLimits[] = [];
async function limits(options: Partial<SharedLimitsOptions> = {}): Promise<SharedLimits> {
  const l = await SharedLimits.connect({
    redisUrl: redis.url, clock: systemClock, logger: silentLogger, modelMax: () => 8, perOrigin: () => 5, leaseMs: 5_000, pollMs: 5, ...options,
  });
  open.push(l);
  return l;
}
afterAll(async () => {
  await Promise.all(open.map((l) => l.close()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the promise is still pending once everything already runnable (and `ms` more) has run. */
async function pending(p: Promise<unknown>, ms = 50): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await sleep(ms);
  return !done;
}

describe('shared limits in Redis', () => {
  it('two processes together never hold more than the per-origin cap', async () => {
    const [a, b] = [await limits({ prefix: 'cap' }), await limits({ prefix: 'cap' })];
    let active = 0;
    let peak = 0;
    let finished = 0;
    const task = async (l: SharedLimits, i: number) => {
      const release = await l.perOrigin.acquire('http:http://agent');
      active++;
      peak = Math.max(peak, active);
      await sleep(1 + (i % 7));
      active--;
      finished++;
      release();
    };
    await Promise.all([...Array.from({ length: 60 }, (_, i) => task(a, i)), ...Array.from({ length: 60 }, (_, i) => task(b, i))]);
    expect(finished).toBe(120);
    expect(peak).toBeLessThanOrEqual(5);
    // Both sides were busy at once: the cap was reached, not merely respected by taking turns.
    expect(peak).toBe(5);
    // Keys carry the queue's prefix; every slot was given back (idle ones when the limiters close).
    await Promise.all([a.close(), b.close()]);
    const raw = new Redis(redis.url);
    try {
      expect(await raw.keys('cap:*')).toEqual([]);
      expect(await raw.zcard('cap:limits:semaphore:http:http://agent')).toBe(0);
    } finally {
      raw.disconnect();
    }
  });

  it('a 429 seen by one process halves the limit both see, and successes grow it back', async () => {
    const [a, b] = [await limits({ prefix: 'aimd', stateTtlMs: 0 }), await limits({ prefix: 'aimd', stateTtlMs: 0 })];
    const key = 'model:openai/gpt-4o';
    (await a.model.acquire(key))();
    expect(a.model.snapshot(key).limit).toBe(8);
    a.model.throttled(key);
    await sleep(20);
    // b reads the shared state before it asks for a slot.
    const held = await Promise.all(Array.from({ length: 4 }, () => b.model.acquire(key)));
    expect(b.model.snapshot(key)).toMatchObject({ limit: 4, inUse: 4 });
    // The halved limit binds both: a's next call waits for one of b's slots.
    const fifth = a.model.acquire(key);
    expect(await pending(fifth)).toBe(true);
    held[0]!();
    (await fifth)();
    for (const r of held.slice(1)) r();
    // Growth is shared too: successes recorded by a raise the limit b reads (4 + 4 × ¼ + …).
    for (let i = 0; i < 8; i++) a.model.succeeded(key);
    // b's next calls reuse the slots it holds, and refresh its view of the limit meanwhile.
    for (let i = 0; i < 50 && b.model.snapshot(key).limit < 5; i++) {
      (await b.model.acquire(key))();
      await sleep(10);
    }
    expect(b.model.snapshot(key).limit).toBeGreaterThanOrEqual(5);
    expect(b.model.snapshot(key).limit).toBeLessThanOrEqual(8);
  });

  it("a provider's pause (Retry-After) holds every process's calls until it ends", async () => {
    const [a, b] = [await limits({ prefix: 'pause', stateTtlMs: 0 }), await limits({ prefix: 'pause', stateTtlMs: 0 })];
    const key = 'model:openai/gpt-4o-mini';
    a.model.throttled(key, 1_500);
    await sleep(20);
    const waiting = b.model.acquire(key);
    expect(await pending(waiting, 100)).toBe(true);
    expect(b.model.snapshot(key).pausedUntil).toBeGreaterThan(Date.now());
    // The pause is a key whose TTL is the wait: once it is gone, the call goes.
    (await waiting)();
    expect(b.model.snapshot(key).pausedUntil).toBeLessThanOrEqual(Date.now());
  });

  it("a holder that dies without releasing gets its slots back after the lease expires", async () => {
    // Short, but long enough that the check below runs well before it ends on a loaded machine.
    const leaseMs = 1_000;
    const dying = await limits({ prefix: 'lease', leaseMs });
    const survivor = await limits({ prefix: 'lease', leaseMs });
    await Promise.all(Array.from({ length: 5 }, () => dying.perOrigin.acquire('http:x')));
    // All 5 slots are held by `dying`; it goes away as a killed worker would (no release).
    dying.kill();
    const next = survivor.perOrigin.acquire('http:x');
    expect(await pending(next, 200)).toBe(true);
    // No renewal arrives, so the leases run out and the slots come back.
    const got = await Promise.all([next, ...Array.from({ length: 4 }, () => survivor.perOrigin.acquire('http:x'))]);
    expect(got).toHaveLength(5);
    expect(survivor.model.snapshot('http:x').inUse).toBe(5);
    for (const r of got) r();
  });

  it('a waiter that gives up leaves the queue, and holding slots keeps them past the lease', async () => {
    // Long enough that a loaded machine's event-loop stalls (up to 2/3 of it) do not lose the lease.
    const leaseMs = 1_000;
    const a = await limits({ prefix: 'renew', leaseMs, perOrigin: () => 1 });
    const b = await limits({ prefix: 'renew', leaseMs, perOrigin: () => 1 });
    const release = await a.perOrigin.acquire('http:y');
    const controller = new AbortController();
    const gaveUp = b.perOrigin.acquire('http:y', controller.signal);
    controller.abort(new Error('cell abandoned'));
    await expect(gaveUp).rejects.toThrow('cell abandoned');
    // Renewed every lease/3: 2.5 leases later the slot is still a's.
    const other = b.perOrigin.acquire('http:y');
    expect(await pending(other, 2.5 * leaseMs)).toBe(true);
    release();
    (await other)();
  });

  it("serves a process's waiters in turns by project, whether a slot comes back locally or from Redis", async () => {
    const a = await limits({ prefix: 'fair', perOrigin: () => 2 });
    const b = await limits({ prefix: 'fair', perOrigin: () => 2 });
    const key = 'http:http://shared-agent';
    // b holds both slots in Redis; a's queue fills with one project's calls, then another's.
    const others = [await b.perOrigin.acquire(key), await b.perOrigin.acquire(key)];
    const got: string[] = [];
    const held: (() => void)[] = [];
    for (let i = 1; i <= 20; i++) void a.perOrigin.acquire(key, undefined, 'big').then((r) => (got.push(`big${i}`), held.push(r)));
    void a.perOrigin.acquire(key, undefined, 'small').then((r) => (got.push('small'), held.push(r)));
    await sleep(30);
    expect(got).toEqual([]);
    // Two slots come free in Redis: a's poll wins them, for big1 and then small (not big2).
    for (const r of others) r();
    for (let i = 0; i < 200 && got.length < 2; i++) await sleep(10);
    expect(got).toEqual(['big1', 'small']);
    // Slots freed in a go straight to a's next waiters, big's own order.
    held.shift()!();
    held.shift()!();
    await sleep(10);
    expect(got).toEqual(['big1', 'small', 'big2', 'big3']);
    while (got.length < 21) {
      held.shift()!();
      await sleep(1);
    }
    for (const r of held) r();
  });

  it('keeps at most MAX_LIMITER_KEYS keys at rest in each process: new names do not grow its maps without end', async () => {
    const l = await limits({ prefix: 'bound', idleMs: 0 });
    l.model.throttled('model:openai/throttled');
    // Keys as a project could make them: a new origin or model name each time.
    for (let at = 0; at < MAX_LIMITER_KEYS + 500; at += 250) {
      const releases = await Promise.all(Array.from({ length: 250 }, (_, i) => l.perOrigin.acquire(`http:http://h${at + i}.example`)));
      for (const r of releases) r();
      for (let i = 0; i < 250; i++) l.model.snapshot(`model:@p/m${at + i}`);
      await sleep(5);
    }
    expect(l.queuedKeys).toBeLessThanOrEqual(MAX_LIMITER_KEYS + 1);
    expect(l.model.keyList().length).toBeLessThanOrEqual(MAX_LIMITER_KEYS + 1);
    // A throttled key is kept: its lowered limit is still what this process uses.
    expect(l.model.keyList()).toContain('model:openai/throttled');
    expect(l.model.snapshot('model:openai/throttled').limit).toBe(4);
  });

  it('a freed slot serves the next call of its process without Redis, and goes back when unused or over a lowered limit', async () => {
    const [a, b] = [await limits({ prefix: 'idle', stateTtlMs: 0, idleMs: 200 }), await limits({ prefix: 'idle', stateTtlMs: 0, idleMs: 200 })];
    const key = 'model:openai/o3';
    const raw = new Redis(redis.url);
    const members = () => raw.zrange(`idle:limits:semaphore:${key}`, '0', '-1');
    try {
      const held = await Promise.all(Array.from({ length: 8 }, () => a.model.acquire(key)));
      const before = await members();
      for (const r of held) r();
      // Freed, but still a's in Redis; a's next calls take them back without a new member.
      const again = await Promise.all(Array.from({ length: 8 }, () => a.model.acquire(key)));
      expect(await members()).toEqual(before);
      // b gets none while a holds them all.
      const waiting = b.model.acquire(key);
      expect(await pending(waiting)).toBe(true);
      // A 429 halves the limit: a's freed slots above the new limit go back to Redis, and b gets one.
      a.model.throttled(key);
      for (const r of again.slice(0, 5)) r();
      (await waiting)();
      // Unused idle slots go back after idleMs.
      for (const r of again.slice(5)) r();
      for (let i = 0; i < 100 && (await members()).length > 0; i++) await sleep(20);
      expect(await members()).toEqual([]);
    } finally {
      raw.disconnect();
    }
  });
});
