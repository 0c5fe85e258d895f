// Shared limits across a Redis restart (issue 14): two "processes" (two SharedLimits on separate
// connections to a private redis-server) keep calling through a per-origin cap while Redis is
// killed and restarted empty. Nothing deadlocks: waiters retry until Redis is back (and can give
// up meanwhile), calls go on, and once the slots held across the restart are known to be gone
// (the next lease renewal) the cap binds both busy processes again. The adaptive state is gone
// with the old Redis: the limit is back at its ceiling (docs/deployment.md, "Shared limits").
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
    /** The peak once the restart is more than two lease renewals old (undefined before). */
    let peakAfterRenewals: number | undefined;
    const call = async (l: SharedLimits, holdMs: number) => {
      const release = await l.perOrigin.acquire(key);
      active++;
      peak = Math.max(peak, active);
      if (peakAfterRenewals !== undefined) peakAfterRenewals = Math.max(peakAfterRenewals, active);
      await sleep(holdMs);
      active--;
      finished++;
      release();
    };
    a.model.throttled('model:openai/gpt-4o');
    // Both processes stay busy (more callers than slots) from before the restart until 1.5 s
    // after it: slots held across the restart keep being passed on until each process's lease
    // renewal (every lease/3) finds that the new Redis does not know them.
    let restartedAt = Infinity;
    const busy = async (l: SharedLimits) => {
      for (let i = 0; Date.now() - restartedAt < 1_500; i++) await call(l, 1 + (i % 5));
    };
    const callers = [...Array.from({ length: 6 }, () => busy(a)), ...Array.from({ length: 6 }, () => busy(b))];
    const progressed = () => finished >= 40;
    while (!progressed()) await sleep(5);
    const atKill = finished;
    const restart = redis.restart(400);
    // While Redis is away, a waiter can still give up.
    await sleep(100);
    const controller = new AbortController();
    const abandoned = a.perOrigin.acquire('http:http://other', controller.signal);
    controller.abort(new Error('run stopped'));
    await expect(abandoned).rejects.toThrow('run stopped');
    await restart;
    restartedAt = Date.now();
    const measure = setTimeout(() => (peakAfterRenewals = active), 800);
    await Promise.all(callers);
    clearTimeout(measure);
    // Calls went on across the restart (slots a process holds keep serving it) and after it.
    expect(finished).toBeGreaterThan(atKill + 100);
    expect(peakAfterRenewals).toBeDefined();
    expect(peakAfterRenewals).toBeLessThanOrEqual(CAP);
    finished = 0;

    // And from a standing start: the cap is reached, not exceeded.
    peak = 0;
    await Promise.all([...Array.from({ length: 60 }, (_, i) => call(a, 1 + (i % 4))), ...Array.from({ length: 60 }, (_, i) => call(b, 1 + (i % 4)))]);
    expect(finished).toBe(120);
    expect(peak).toBe(CAP);

    // The throttled limit lived in the old Redis: both read the ceiling again.
    (await b.model.acquire('model:openai/gpt-4o'))();
    expect(b.model.snapshot('model:openai/gpt-4o').limit).toBe(8);
  });
});
