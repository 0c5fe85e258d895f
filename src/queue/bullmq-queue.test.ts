// The BullMQ queue against a private redis-server: runs enqueued before any worker starts are
// delivered, each job to one of several processes, and a run waiting is not queued twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/ports.js';
import { type PrivateRedis, startRedis } from '../testing/redis-server.js';
import { BullMqQueue } from './bullmq-queue.js';

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('BullMqQueue', () => {
  it('delivers every run once across two consumers, including runs queued before either started', async () => {
    const prefix = 'q1';
    const producer = new BullMqQueue({ redisUrl: redis.url, prefix, runsAtOnce: 4, logger: silentLogger });
    const a = new BullMqQueue({ redisUrl: redis.url, prefix, runsAtOnce: 4, logger: silentLogger });
    const b = new BullMqQueue({ redisUrl: redis.url, prefix, runsAtOnce: 4, logger: silentLogger });
    try {
      const ids = Array.from({ length: 40 }, (_, i) => `run_${i}`);
      for (const id of ids.slice(0, 20)) await producer.enqueue(id);
      const seen: { id: string; by: string }[] = [];
      // Each handler takes a while, so both consumers have work at once.
      const handler = (by: string) => async (id: string) => {
        seen.push({ id, by });
        await new Promise((r) => setTimeout(r, 30));
      };
      a.start(handler('a'));
      b.start(handler('b'));
      for (const id of ids.slice(20)) await producer.enqueue(id);
      await until(() => seen.length >= 40);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.map((s) => s.id).sort()).toEqual([...ids].sort());
      expect(new Set(seen.map((s) => s.by))).toEqual(new Set(['a', 'b']));
    } finally {
      await Promise.all([producer.close(), a.close(), b.close()]);
    }
  });

  it('does not queue a run twice while it waits, and queues it again once its job is done (resume)', async () => {
    const prefix = 'q2';
    const q = new BullMqQueue({ redisUrl: redis.url, prefix, runsAtOnce: 1, logger: silentLogger });
    try {
      await q.enqueue('run_x');
      await q.enqueue('run_x');
      const seen: string[] = [];
      q.start(async (id) => {
        seen.push(id);
      });
      await until(() => seen.length >= 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual(['run_x']);
      await q.enqueue('run_x');
      await until(() => seen.length >= 2);
      expect(seen).toEqual(['run_x', 'run_x']);
    } finally {
      await q.close();
    }
  });
});
