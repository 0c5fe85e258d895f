// The run concurrency shared by cluster processes (redis-run-slots.ts) against a private
// redis-server: two instances on two connections stand for two workers. Their cells together
// never hold more permits than the run's limit; a waiting cell gives up when its run stops,
// leaving no permit behind; the permits of a worker that vanished come back once they expire.
import { setMaxListeners } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/ports.js';
import { type PrivateRedis, startRedis } from '../testing/redis-server.js';
import { RedisRunSlots } from './redis-run-slots.js';

let redis: PrivateRedis;
const clients: Redis[] = [];

function worker(options: { lockMs?: number } = {}): { slots: RedisRunSlots; client: Redis } {
  const client = RedisRunSlots.connection(redis.url, 'assay');
  clients.push(client);
  return { slots: new RedisRunSlots(client, silentLogger, { retryMs: 5, ...options }), client };
}

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);

/** A connection without the slots' key prefix, to read the keys where they are. */
function raw(): Redis {
  const client = new Redis(redis.url);
  clients.push(client);
  return client;
}

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

async function ready(client: Redis): Promise<void> {
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
}

describe('run slots shared through Redis', () => {
  it('two workers together hold at most the run\'s limit, and reach it', async () => {
    const [a, b] = [worker(), worker()];
    await Promise.all([ready(a.client), ready(b.client)]);
    let held = 0;
    let peak = 0;
    const signal = new AbortController().signal;
    setMaxListeners(0, signal);
    const cell = async (slots: RedisRunSlots, i: number) => {
      const release = await slots.acquirer('run-1', 3)(signal);
      held++;
      peak = Math.max(peak, held);
      // Hold the permit across a few round trips of the other worker's cells.
      for (let k = 0; k < 3 + (i % 3); k++) await new Promise((r) => setImmediate(r));
      await a.client.ping();
      held--;
      release();
    };
    await Promise.all(Array.from({ length: 40 }, (_, i) => cell(i % 2 === 0 ? a.slots : b.slots, i)));
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBe(3);
    // Every permit was given back: a fresh cell gets one at once.
    expect(await raw().zcard('assay:run-cells:semaphore:run-1')).toBe(0);
  });

  it('a cell waiting for a permit stops waiting when its run stops, and takes none', async () => {
    const { slots, client } = worker();
    await ready(client);
    const never = new AbortController().signal;
    const holders = await Promise.all([slots.acquirer('run-2', 2)(never), slots.acquirer('run-2', 2)(never)]);
    const stopping = new AbortController();
    const waiting = slots.acquirer('run-2', 2)(stopping.signal);
    await client.ping();
    stopping.abort(new Error('run stopping'));
    await expect(waiting).rejects.toThrow('run stopping');
    for (const release of holders) release();
    await new Promise((r) => setTimeout(r, 20));
    expect(await raw().zcard('assay:run-cells:semaphore:run-2')).toBe(0);
  });

  it('a permit held longer than its lease stays held while its worker lives (renewed)', async () => {
    const a = worker({ lockMs: 300 });
    const b = worker({ lockMs: 300 });
    await Promise.all([ready(a.client), ready(b.client)]);
    const release = await a.slots.acquirer('run-4', 1)(new AbortController().signal);
    // Three leases long: without renewal the permit would have expired twice over.
    const waiting = new AbortController();
    const other = b.slots.acquirer('run-4', 1)(waiting.signal);
    await new Promise((r) => setTimeout(r, 900));
    expect(await raw().zcard('assay:run-cells:semaphore:run-4')).toBe(1);
    waiting.abort(new Error('still held'));
    await expect(other).rejects.toThrow('still held');
    release();
  });

  it('the permits of a worker that vanished come back once they expire', async () => {
    const dead = worker({ lockMs: 600 });
    const alive = worker({ lockMs: 600 });
    await Promise.all([ready(dead.client), ready(alive.client)]);
    const never = new AbortController().signal;
    await dead.slots.acquirer('run-3', 2)(never);
    await dead.slots.acquirer('run-3', 2)(never);
    // The worker dies holding both: no release, no refresh.
    dead.client.disconnect();
    const stopAfter = new AbortController();
    const t = setTimeout(() => stopAfter.abort(new Error('gave up')), 10_000);
    // Both permits, not one: the dead worker took its two a few milliseconds apart, so they
    // expire apart, and the first to come back lets one acquisition through while the other is
    // still held (on a busy machine the gap is wide enough for the poll to land in it).
    const first = await alive.slots.acquirer('run-3', 2)(stopAfter.signal);
    const second = await alive.slots.acquirer('run-3', 2)(stopAfter.signal);
    clearTimeout(t);
    expect(await raw().zcard('assay:run-cells:semaphore:run-3')).toBe(2);
    first();
    second();
    expect(await raw().zcard('assay:run-cells:semaphore:run-3')).toBe(0);
  });
});
