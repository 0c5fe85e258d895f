// The Redis event bus between two "processes" (two buses on one private redis-server): batches
// and live events published in one reach the other's subscribers in order and once, the
// publisher's own subscribers get them once (not again through Redis), and abort nudges reach all.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveEvent, RunEvent } from '../core/events.js';
import { silentLogger } from '../core/ports.js';
import { type PrivateRedis, startRedis } from '../testing/redis-server.js';
import { FANOUT_EVENT_BYTES, RedisEventBus } from './redis-event-bus.js';

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const progress = (seq: number): RunEvent => ({ type: 'progress', completed: seq, total: 1000, seq }) as RunEvent;

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('RedisEventBus', () => {
  it('fans batches and live events out to other processes, in order, once', async () => {
    const worker = await RedisEventBus.connect({ redisUrl: redis.url, prefix: 'b1', logger: silentLogger });
    const api = await RedisEventBus.connect({ redisUrl: redis.url, prefix: 'b1', logger: silentLogger });
    try {
      const remote: number[] = [];
      const local: number[] = [];
      const live: LiveEvent[] = [];
      api.subscribe('run_1', (events) => remote.push(...events.map((e) => e.seq)), (e) => live.push(e));
      worker.subscribe('run_1', (events) => local.push(...events.map((e) => e.seq)));
      worker.subscribe('run_2', () => {
        throw new Error('another run’s events must not arrive here');
      });
      for (let seq = 1; seq <= 500; seq += 5) worker.publish('run_1', [1, 2, 3, 4, 5].map((k) => progress(seq + k - 1)));
      worker.publishLive('run_1', { type: 'cell_started', rowIndex: 3, targetId: 't', repeat: 0 } as LiveEvent);
      await until(() => remote.length >= 500 && live.length >= 1);
      await new Promise((r) => setTimeout(r, 200));
      const expected = Array.from({ length: 500 }, (_, i) => i + 1);
      expect(remote).toEqual(expected);
      expect(local).toEqual(expected);
      // Heard as it happened, and maybe once more: the worker answers the API's "who runs what"
      // (sent when it subscribed) with its cells in flight; a stream sends each once (events.ts).
      expect(live.length).toBeGreaterThanOrEqual(1);
      for (const e of live) expect(e).toEqual({ type: 'cell_started', rowIndex: 3, targetId: 't', repeat: 0 });
      // The receiving process's ring serves replays without storage.
      expect(api.recent('run_1', 490, 100)?.map((e) => e.seq)).toEqual([491, 492, 493, 494, 495, 496, 497, 498, 499, 500]);
    } finally {
      await Promise.all([worker.close(), api.close()]);
    }
  });

  it('tells a watcher who joins in another process which cells run in this one', async () => {
    const worker = await RedisEventBus.connect({ redisUrl: redis.url, prefix: 'b4', logger: silentLogger });
    const api = await RedisEventBus.connect({ redisUrl: redis.url, prefix: 'b4', logger: silentLogger });
    try {
      const started = (rowIndex: number) => ({ type: 'cell_started', rowIndex, targetId: 't', repeat: 0 }) as LiveEvent;
      // Started before anyone watched: nobody heard them then.
      for (const row of [0, 1, 2]) worker.publishLive('run_1', started(row));
      worker.settle('run_1', [{ rowIndex: 0, targetId: 't', repeat: 0 }]);
      await new Promise((r) => setTimeout(r, 100));
      const heard: LiveEvent[] = [];
      api.subscribe('run_1', () => {}, (e) => heard.push(e));
      await until(() => heard.length >= 2);
      await new Promise((r) => setTimeout(r, 200));
      expect(heard).toEqual([started(1), started(2)]);
      // The API process runs nothing itself: asked in turn, it has nothing to tell.
      expect(api.runningCells('run_1')).toEqual([]);
    } finally {
      await Promise.all([worker.close(), api.close()]);
    }
  });

  it('sends a large event as its seq alone: other processes read it from storage, their rings restart after it', async () => {
    const worker = await RedisEventBus.connect({ redisUrl: redis.url, prefix: 'b3', logger: silentLogger });
    const api = await RedisEventBus.connect({ redisUrl: redis.url, prefix: 'b3', logger: silentLogger });
    // What crosses Redis, as a third process would see it.
    const spy = new Redis(redis.url);
    const messages: string[] = [];
    spy.on('message', (_channel: string, message: string) => messages.push(message));
    await spy.subscribe('b3:events');
    try {
      const batches: number[][] = [];
      api.subscribe('run_1', (events) => batches.push(events.map((e) => e.seq)));
      const big = (seq: number): RunEvent => ({ type: 'target_result', seq, rowIndex: seq, targetId: 't', repeat: 0, output: 'x'.repeat(FANOUT_EVENT_BYTES + 1) }) as unknown as RunEvent;
      worker.publish('run_1', [progress(1), progress(2)]);
      await until(() => batches.length === 1);
      expect(api.recent('run_1', 0, 10)?.map((e) => e.seq)).toEqual([1, 2]);
      // small, large, large, small, small: one batch, one seq for both large ones, one batch.
      worker.publish('run_1', [progress(3), big(4), big(5), progress(6), progress(7)]);
      await until(() => batches.length === 4);
      expect(batches).toEqual([[1, 2], [3], [], [6, 7]]);
      // The ring holds what came after the gap; a reader before it is sent to storage (null).
      expect(api.recent('run_1', 5, 10)?.map((e) => e.seq)).toEqual([6, 7]);
      expect(api.recent('run_1', 2, 10)).toBeNull();
      // The publishing process's own ring has every event.
      expect(worker.recent('run_1', 3, 10)?.map((e) => e.seq)).toEqual([4, 5, 6, 7]);
      // A final event goes whole, however large its summary.
      const done = { type: 'done', seq: 8, summary: { note: 'y'.repeat(FANOUT_EVENT_BYTES + 1) } } as unknown as RunEvent;
      worker.publish('run_1', [done]);
      await until(() => batches.length === 5);
      expect(batches[4]).toEqual([8]);
      await until(() => messages.length === 5);
      messages.pop();
      expect(Math.max(...messages.map((m) => m.length))).toBeLessThan(2_000);
      expect(messages.map((m) => (JSON.parse(m) as { s?: number }).s ?? null)).toEqual([null, null, 5, null]);
    } finally {
      spy.disconnect();
      await Promise.all([worker.close(), api.close()]);
    }
  });

  it('delivers abort nudges to every process, the sender included', async () => {
    const a = await RedisEventBus.connect({ redisUrl: redis.url, prefix: 'b2', logger: silentLogger });
    const b = await RedisEventBus.connect({ redisUrl: redis.url, prefix: 'b2', logger: silentLogger });
    try {
      const got: string[] = [];
      a.onAbort((id) => got.push(`a:${id}`));
      b.onAbort((id) => got.push(`b:${id}`));
      a.nudgeAbort('run_9');
      await until(() => got.length >= 2);
      expect(got.sort()).toEqual(['a:run_9', 'b:run_9']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps installations on different databases of one Redis apart, though pub/sub ignores the number', async () => {
    // Raw Redis first: a message published on database 2 reaches a subscriber on database 1.
    const [listener, publisher] = [new Redis(`${redis.url}/1`), new Redis(`${redis.url}/2`)];
    const crossed: string[] = [];
    listener.on('message', (_channel: string, message: string) => crossed.push(message));
    await listener.subscribe('raw');
    await publisher.publish('raw', 'from db 2');
    await until(() => crossed.length === 1);
    listener.disconnect();
    publisher.disconnect();

    const bus = (redisUrl: string) => RedisEventBus.connect({ redisUrl, prefix: 'db', logger: silentLogger });
    const [db1, db1Again, db2, db0] = await Promise.all([bus(`${redis.url}/1`), bus(`${redis.url}/1`), bus(`${redis.url}/2`), bus(redis.url)]);
    try {
      expect([db1, db2, db0].map((b) => b.channels)).toEqual([
        { events: 'db:db1:events', abort: 'db:db1:abort' },
        { events: 'db:db2:events', abort: 'db:db2:abort' },
        { events: 'db:events', abort: 'db:abort' },
      ]);
      const heard: Record<string, number[]> = { db1Again: [], db2: [], db0: [] };
      const aborted: string[] = [];
      for (const [name, listener] of [['db1Again', db1Again], ['db2', db2], ['db0', db0]] as const) {
        listener.subscribe('run_1', (events) => heard[name]!.push(...events.map((e) => e.seq)));
        listener.onAbort((runId) => aborted.push(`${name}:${runId}`));
      }
      db1.publish('run_1', [progress(1)]);
      db1.nudgeAbort('run_1');
      await until(() => heard.db1Again!.length === 1 && aborted.length === 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(heard).toEqual({ db1Again: [1], db2: [], db0: [] });
      expect(aborted).toEqual(['db1Again:run_1']);
    } finally {
      await Promise.all([db1, db1Again, db2, db0].map((b) => b.close()));
    }
  });

  it('gives up on an unreachable Redis with a message instead of waiting forever', async () => {
    await expect(RedisEventBus.connect({ redisUrl: 'redis://127.0.0.1:1', logger: silentLogger, connectTimeoutMs: 1_000 })).rejects.toThrow(/^could not reach Redis at REDIS_URL \(redis:\/\/127\.0\.0\.1:1\): nothing listens there \(ECONNREFUSED\)$/);
  });

  it('says a REDIS_URL host that does not resolve is not found (ioredis itself says only "Connection is closed.")', async () => {
    await expect(RedisEventBus.connect({ redisUrl: 'redis://no-such-host.invalid:6379', logger: silentLogger, connectTimeoutMs: 5_000 })).rejects.toThrow(
      /^could not reach Redis at REDIS_URL \(redis:\/\/no-such-host\.invalid:6379\): the host no-such-host\.invalid is not found \((ENOTFOUND|EAI_AGAIN)\)$/,
    );
  });
});
