// ASSAY_REDIS_PREFIX through the cluster transport, against a private redis-server: two
// installations on one Redis (prefixes `one` and `two`) neither hear each other's events and
// abort nudges nor share a queue, a limit or a run's permits, while two processes of one
// installation do; every key and channel of an installation starts with its prefix.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../core/events.js';
import { silentLogger, systemClock } from '../core/ports.js';
import { type PrivateRedis, startRedis } from '../testing/redis-server.js';
import { openTransport, type Transport } from './cluster.js';
import { loadConfig } from './env.js';

let redis: PrivateRedis;
let raw: Redis;
const opened: Transport[] = [];

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
}, 30_000);

afterAll(async () => {
  for (const t of opened) {
    await t.queue.close();
    await t.closeRunSlots();
    await t.close();
  }
  raw?.disconnect();
  await redis?.stop();
});

/** One executing cluster process (role all) of the installation whose prefix is `prefix` (unset: the default). */
async function open(prefix?: string): Promise<Transport> {
  const config = loadConfig({ DATABASE_URL: 'postgres://unused/db', REDIS_URL: redis.url, ...(prefix ? { ASSAY_REDIS_PREFIX: prefix } : {}) });
  const t = await openTransport(config, { mode: 'cluster', role: 'all', serves: true, executes: true, redisUrl: redis.url }, systemClock, silentLogger);
  opened.push(t);
  return t;
}

const progress = (seq: number): RunEvent => ({ type: 'progress', completed: seq, total: 10, seq }) as RunEvent;
const settle = () => new Promise((r) => setTimeout(r, 300));

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('ASSAY_REDIS_PREFIX', () => {
  it('is `assay` unless set, and refuses what cannot be one segment of a key', () => {
    expect(loadConfig({}).redisPrefix).toBe('assay');
    expect(loadConfig({ ASSAY_REDIS_PREFIX: ' staging.eu-1_b ' }).redisPrefix).toBe('staging.eu-1_b');
    for (const bad of ['a:b', '{x}', 'with space', 'x'.repeat(65), 'é']) {
      expect(() => loadConfig({ ASSAY_REDIS_PREFIX: bad }), bad).toThrow(/ASSAY_REDIS_PREFIX=".*": must be 1 to 64 letters, digits/);
    }
  });

  it('keeps two installations on one Redis apart, and the processes of one together', async () => {
    const [one, oneAgain, two] = [await open('one'), await open('one'), await open('two')];
    const heard = { oneAgain: [] as number[], two: [] as number[] };
    oneAgain.bus.subscribe('run_1', (events) => heard.oneAgain.push(...events.map((e) => e.seq)));
    two.bus.subscribe('run_1', (events) => heard.two.push(...events.map((e) => e.seq)));
    const aborted = { oneAgain: [] as string[], two: [] as string[] };
    oneAgain.redisBus!.onAbort((runId) => aborted.oneAgain.push(runId));
    two.redisBus!.onAbort((runId) => aborted.two.push(runId));

    one.bus.publish('run_1', [progress(1), progress(2)]);
    one.redisBus!.nudgeAbort('run_1');
    await until(() => heard.oneAgain.length === 2 && aborted.oneAgain.length === 1);
    await settle();
    expect(heard).toEqual({ oneAgain: [1, 2], two: [] });
    expect(aborted).toEqual({ oneAgain: ['run_1'], two: [] });
    expect(one.redisBus!.channels).toEqual({ events: 'one:events', abort: 'one:abort' });

    // The queue, a run's permits and a shared limit: all under the installation's prefix.
    await one.queue.enqueue('run_q');
    const permit = await one.runSlots!.acquirer('run_p', 1)(new AbortController().signal);
    const slot = await one.sharedLimits!.perOrigin.acquire('http:http://agent');
    const keys = (await raw.keys('*')).sort();
    expect(keys.filter((k) => !k.startsWith('one:') && !k.startsWith('two:'))).toEqual([]);
    expect(keys).toContain('one:runs:run_q');
    expect(keys).toContain('one:run-cells:semaphore:run_p');
    expect(keys).toContain('one:limits:semaphore:http:http://agent');
    // The other installation's processes hold neither: its own permit and slot are free.
    const otherPermit = await two.runSlots!.acquirer('run_p', 1)(AbortSignal.timeout(2_000));
    const otherSlot = await two.sharedLimits!.perOrigin.acquire('http:http://agent');
    expect(await raw.zcard('two:run-cells:semaphore:run_p')).toBe(1);
    expect(await raw.zcard('two:limits:semaphore:http:http://agent')).toBe(1);
    for (const release of [permit, slot, otherPermit, otherSlot]) release();
  });

  it('is `assay` for every key and channel of a process that does not set it', async () => {
    const t = await open();
    expect(t.redisBus!.channels).toEqual({ events: 'assay:events', abort: 'assay:abort' });
    await t.queue.enqueue('run_d');
    expect(await raw.exists('assay:runs:run_d')).toBe(1);
  });
});
