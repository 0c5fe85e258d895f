// Shared limits across a Redis restart (issue 14): two "processes" (two SharedLimits on separate
// connections to a private redis-server) keep calling through a per-origin cap while Redis is
// killed and restarted empty. Nothing deadlocks: waiters retry until Redis is back (and can give
// up meanwhile), every call completes, and once the calls that held slots across the restart
// have ended the cap binds both processes again. The adaptive state is gone with the old Redis:
// the limit is back at its ceiling (docs/deployment.md, "Shared limits").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '../../src/core/ports.js';
import { SharedLimits } from '../../src/cluster/redis-limiters.js';
import { type PrivateRedis, startRedis } from '../../src/testing/redis-server.js';

let redis: PrivateRedis;
const open: SharedLimits[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(open.map((l) => l.close()));
  await redis?.stop();
});

const CAP = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function limits(): Promise<SharedLimits> {
  const l = await SharedLimits.connect({
    redisUrl: redis.url, clock: systemClock, logger: silentLogger, modelMax: () => 8, perOrigin: () => CAP,
    leaseMs: 1_000, pollMs: 5, retryMs: 50, stateTtlMs: 0,
  });
  open.push(l);
  return l;
}

describe('shared limits and a Redis restart', () => {
  it('calls go on through a restart without deadlock, and the cap binds again afterwards', async () => {
    const [a, b] = [await limits(), await limits()];
    const key = 'http:http://agent';
    let active = 0;
    let peak = 0;
    let finished = 0;
    const call = async (l: SharedLimits, holdMs: number) => {
      const release = await l.perOrigin.acquire(key);
      active++;
      peak = Math.max(peak, active);
      await sleep(holdMs);
      active--;
      finished++;
      release();
    };
    a.model.throttled('model:openai/gpt-4o');
    const first = [...Array.from({ length: 150 }, (_, i) => call(a, 2 + (i % 5))), ...Array.from({ length: 150 }, (_, i) => call(b, 2 + (i % 5)))];
    const progressed = () => finished >= 40;
    while (!progressed()) await sleep(5);
    const restart = redis.restart(400);
    // While Redis is away, a waiter can still give up.
    await sleep(100);
    // Calls were still waiting when Redis went away (the restart is mid-way, not after the end).
    expect(finished).toBeLessThan(300);
    const stalled = finished;
    const controller = new AbortController();
    const abandoned = a.perOrigin.acquire('http:http://other', controller.signal);
    controller.abort(new Error('run stopped'));
    await expect(abandoned).rejects.toThrow('run stopped');
    // Nobody got a slot from a Redis that is not there.
    expect(finished).toBe(stalled);
    await restart;
    await Promise.all(first);
    expect(finished).toBe(300);

    // Every holder from before the restart is done: the cap binds both processes again.
    peak = 0;
    await Promise.all([...Array.from({ length: 60 }, (_, i) => call(a, 1 + (i % 4))), ...Array.from({ length: 60 }, (_, i) => call(b, 1 + (i % 4)))]);
    expect(finished).toBe(420);
    expect(peak).toBe(CAP);

    // The throttled limit lived in the old Redis: both read the ceiling again.
    (await b.model.acquire('model:openai/gpt-4o'))();
    expect(b.model.snapshot('model:openai/gpt-4o').limit).toBe(8);
  });
});
