// The webhook outbox end to end below HTTP, on SQLite and PostgreSQL: a run's finish writes its
// delivery (the real SQL finish), the dispatcher sends it through the real network adapter to a
// real receiver on loopback, and time (retries, timeouts) is driven by the fake clock.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFinish } from '../../core/engine/run-ending.js';
import { WEBHOOK_RETRY } from '../../core/engine/retry.js';
import type { RunRecord, RunSummary } from '../../core/model/run.js';
import type { Stores } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import { webhookPost } from '../../net/webhook-post.js';
import { AesGcmCipher, type DbOptions, openStores } from '../../storage/index.js';
import { allDatabases } from '../../testing/databases.js';
import { FakeClock, settle } from '../../testing/fake-clock.js';
import { type Answer, type Receiver, startReceiver } from '../../testing/receiver.js';
import { finishDeliveries } from './payload.js';
import { WebhookDispatcher } from './dispatcher.js';
import { WebhookService } from './service.js';

const START = 1_764_000_000_000;

function summary(runId: string): RunSummary {
  return {
    runId, totalCells: 2, completedCells: 2, failedCells: 0, duration: 5, timestamps: { startedAt: START, finishedAt: START + 5 }, runUrl: 'http://x/r',
    totalPassed: 1, totalFailed: 1, passRate: 50, totalCost: 0, targetCost: 0, evaluatorCost: 0, targets: [], evaluators: [],
  };
}

function runRecord(id: string, webhookUrl: string): RunRecord {
  return {
    id, projectId: 'p1', experimentId: 'e1', experimentSlug: 'exp', status: 'running', total: 2, progress: 0,
    startedAt: START, finishedAt: null, summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
    spec: {
      experimentId: 'e1', experimentSlug: 'exp', experimentVersion: 1, rows: { kind: 'inline' }, sourceRowCount: 2, rowIndices: null, parameters: {},
      targetIds: ['a'], evaluatorIds: [], repeats: 1, concurrency: 1, timeoutMs: 1_000, maxRetries: 0, budgetUsd: null, cache: false,
      baselineRunId: null, webhookUrl, metadata: { branch: 'main' }, runUrl: `http://x/${id}`,
    },
  };
}

/** A server that never answers its first `silent` requests (until closed), then answers 200; `seen` holds each request's Assay-Delivery. */
async function startSilentServer(silent = Infinity): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const state = { seen: [] as string[] };
  const server: Server = createServer((req, res) => {
    state.seen.push(String(req.headers['assay-delivery']));
    if (state.seen.length > silent) res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** The Assay-Signature check receivers do (docs/webhooks.md), with the clock of the test. */
function signatureValid(secret: string, header: string, body: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2)));
  return parts.v1 === createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex');
}

describe.each(allDatabases())('webhook outbox on $name', (db) => {
  let stores: Stores;
  let options: DbOptions;
  let clock: FakeClock;
  let receiver: Receiver;
  let service: WebhookService;
  const dispatchers: WebhookDispatcher[] = [];

  beforeEach(async () => {
    options = await db.options();
    stores = await openStores(options);
    await stores.projects.create({ id: 'p1', slug: 'one', name: 'One', createdAt: 1 });
    clock = new FakeClock(START);
    receiver = await startReceiver();
    service = new WebhookService(stores, new AesGcmCipher(Buffer.alloc(32, 7)), clock);
  });
  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.shutdown();
    await receiver.close();
    await stores.close();
  });
  afterAll(() => db.cleanup());

  function dispatcher(options: { allowPrivate?: boolean; soleSender?: boolean; pollMs?: number } = {}): WebhookDispatcher {
    const d = new WebhookDispatcher({
      store: stores.webhooks, signingKey: (id) => service.signingKey(id), post: webhookPost(options.allowPrivate ?? true), clock,
      random: () => 0.5, logger: silentLogger, timeoutMs: 10_000, pollMs: options.pollMs ?? 1_000, soleSender: options.soleSender ?? false, version: 'test',
    });
    dispatchers.push(d);
    return d;
  }

  /** Creates a run and finishes it through the SQL store, the way the executor does: the delivery rides on the finish. */
  async function finishRun(id: string, url: string): Promise<string> {
    const run = runRecord(id, url);
    await stores.runs.create(run);
    await stores.runs.claim(id, 'exec', START + 60_000, START);
    const finish = runFinish({ kind: 'completed' }, summary(id), clock.now());
    const [delivery] = finishDeliveries(run, finish, 2);
    expect(await stores.runs.finish(id, 'exec', { ...finish, deliveries: [delivery!] })).not.toBeNull();
    return delivery!.id;
  }

  /** Lets an attempt in flight reach the receiver and its outcome reach storage (real sockets: real time). */
  async function until(check: () => Promise<boolean> | boolean): Promise<void> {
    // Real time, not the fake clock: a generous bound, since a busy CI machine is slow but not stuck.
    const deadline = performance.now() + 20_000;
    while (performance.now() < deadline) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 10));
      await settle();
    }
    throw new Error('condition not met in 20 s');
  }

  const log = async (runId: string) => (await service.deliveries({ id: 'p1' }, runId)).deliveries;

  it('delivers one signed POST carrying the poll body, its summary and metadata', async () => {
    const id = await finishRun('run_a', `${receiver.url}/hook`);
    dispatcher().start();
    await until(async () => (await log('run_a'))[0]?.status === 'delivered');
    expect(receiver.requests).toHaveLength(1);
    const [req] = receiver.requests;
    const { secret } = await service.secret({ id: 'p1' });
    expect(req!.path).toBe('/hook');
    expect(req!.headers['assay-delivery']).toBe(id);
    expect(req!.headers['assay-event']).toBe('run.finished');
    expect(req!.headers['assay-signature']).toMatch(new RegExp(`^t=${Math.floor(START / 1000)},v1=[0-9a-f]{64}$`));
    expect(signatureValid(secret, String(req!.headers['assay-signature']), req!.body)).toBe(true);
    // No credential of any kind goes out.
    expect(req!.headers.authorization).toBeUndefined();
    expect(req!.headers['x-auth-token']).toBeUndefined();
    expect(JSON.parse(req!.body)).toMatchObject({
      event: 'run.finished', deliveryId: id, runId: 'run_a', projectId: 'p1', experimentSlug: 'exp', status: 'completed', progress: 2, total: 2,
      startedAt: START, finishedAt: START, summary: { passRate: 50, totalCells: 2 }, metadata: { branch: 'main' }, runUrl: 'http://x/run_a',
    });
    const [delivery] = await log('run_a');
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, nextAttemptAt: null, deliveredAt: START });
    expect(delivery!.log).toEqual([{ attempt: 1, at: START, durationMs: expect.any(Number), statusCode: 200, error: null, responseExcerpt: expect.stringContaining('receiver-marker') }]);
  });

  it('gets through on the third attempt when the receiver answers 500 twice, then 200', async () => {
    let calls = 0;
    receiver.answer = () => (++calls <= 2 ? { status: 500, body: 'boom' } : { status: 200, body: 'ok' });
    await finishRun('run_b', receiver.url);
    // The safety poll is an hour away: each retry is sent because its own timer woke the sender.
    dispatcher({ pollMs: 3_600_000 }).start();
    await until(async () => (await log('run_b'))[0]?.attempts === 1);
    let [d] = await log('run_b');
    // random() = 0.5: 90 % of the 30 s ceiling.
    expect(d).toMatchObject({ status: 'pending', nextAttemptAt: START + 27_000 });
    await clock.advance(26_000);
    expect(receiver.requests).toHaveLength(1);
    await clock.advance(1_000);
    await until(async () => (await log('run_b'))[0]?.attempts === 2);
    [d] = await log('run_b');
    expect(d).toMatchObject({ status: 'pending', nextAttemptAt: START + 27_000 + 54_000 });
    await clock.advance(54_000);
    await until(async () => (await log('run_b'))[0]?.status === 'delivered');
    [d] = await log('run_b');
    expect(receiver.requests).toHaveLength(3);
    expect(d!.log.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, 'the receiver answered 500'],
      [2, 500, 'the receiver answered 500'],
      [3, 200, null],
    ]);
    // The same delivery each time, signed anew at each attempt's time.
    const { secret } = await service.secret({ id: 'p1' });
    expect(new Set(receiver.requests.map((r) => r.headers['assay-delivery'])).size).toBe(1);
    expect(receiver.requests.map((r) => r.body)).toEqual(Array(3).fill(receiver.requests[0]!.body));
    for (const r of receiver.requests) expect(signatureValid(secret, String(r.headers['assay-signature']), r.body)).toBe(true);
    expect(receiver.requests[2]!.headers['assay-signature']).toMatch(new RegExp(`^t=${Math.floor((START + 81_000) / 1000)},`));
  });

  it('refuses a private address when private networks are not allowed, and says so in the log', async () => {
    await finishRun('run_c', `${receiver.url}/hook`);
    dispatcher({ allowPrivate: false }).start();
    await until(async () => (await log('run_c'))[0]?.status === 'failed');
    const [d] = await log('run_c');
    expect(receiver.requests).toHaveLength(0);
    expect(d!.attempts).toBe(1);
    expect(d!.log[0]).toMatchObject({ statusCode: null, responseExcerpt: null });
    expect(d!.log[0]!.error).toBe(`refused to call ${receiver.url}: it is a loopback address; private networks are not allowed`);
  });

  it('does not retry a 4xx other than 408/409/425/429, and honours Retry-After on a 429', async () => {
    receiver.answer = (r): Answer =>
      r.path === '/gone' ? { status: 410, body: 'gone' }
      : r.path === '/moved' ? { status: 302, headers: { location: '/gone' }, body: '' }
      : { status: 429, headers: { 'retry-after': '600' }, body: 'slow down' };
    await finishRun('run_d', `${receiver.url}/gone`);
    await finishRun('run_e', `${receiver.url}/busy`);
    await finishRun('run_r', `${receiver.url}/moved`);
    dispatcher().start();
    await until(async () => (await log('run_d'))[0]?.status === 'failed' && (await log('run_e'))[0]?.attempts === 1 && (await log('run_r'))[0]?.status === 'failed');
    expect((await log('run_d'))[0]!.log[0]!.error).toBe('the receiver answered 410 (only 408, 409, 425, 429 and 5xx are retried)');
    // A redirect is not followed: the project chose one URL, and only that one is called.
    expect((await log('run_r'))[0]!.log[0]!.error).toBe('the receiver answered 302 (only 408, 409, 425, 429 and 5xx are retried)');
    expect(receiver.requests.filter((r) => r.path === '/gone')).toHaveLength(1);
    expect((await log('run_e'))[0]).toMatchObject({ status: 'pending', nextAttemptAt: START + 600_000 });
    await clock.advance(599_000);
    expect(receiver.requests.filter((r) => r.path === '/busy')).toHaveLength(1);
  });

  it('times an attempt out after 10 s and tries again later', async () => {
    const silent = await startSilentServer();
    try {
      await finishRun('run_f', silent.url);
      dispatcher().start();
      await until(() => silent.seen.length === 1);
      expect((await log('run_f'))[0]!.attempts).toBe(0);
      await clock.advance(10_000);
      await until(async () => (await log('run_f'))[0]?.attempts === 1);
      expect((await log('run_f'))[0]).toMatchObject({ status: 'pending', nextAttemptAt: START + 27_000, log: [{ statusCode: null, error: 'no answer within 10 s' }] });
    } finally {
      await silent.close();
    }
  });

  it('gives up after the last attempt, recorded', async () => {
    receiver.answer = () => ({ status: 503, body: 'down' });
    await finishRun('run_g', receiver.url);
    dispatcher().start();
    for (let n = 1; n <= WEBHOOK_RETRY.maxAttempts; n++) {
      await until(async () => (await log('run_g'))[0]?.attempts === n);
      // Time moves only between attempts (never while one is on the wire), to the next one's due time.
      const next = (await log('run_g'))[0]!.nextAttemptAt;
      if (next !== null) await clock.advance(next - clock.now());
    }
    const [d] = await log('run_g');
    expect(d).toMatchObject({ status: 'failed', attempts: 18, nextAttemptAt: null });
    expect(d!.log.at(-1)!.error).toBe('the receiver answered 503; gave up after 18 attempts');
    // At least 24 hours between the first attempt and the last.
    expect(d!.log.at(-1)!.at - d!.log[0]!.at).toBeGreaterThanOrEqual(24 * 3600_000);
    expect(receiver.requests).toHaveLength(18);
  }, 120_000);

  it('keeps a short excerpt of the answer with the signing secret redacted', async () => {
    const { secret } = await service.secret({ id: 'p1' });
    receiver.answer = () => ({ status: 502, body: `echo ${secret}\n${'x'.repeat(5_000)}` });
    await finishRun('run_h', receiver.url);
    dispatcher().start();
    await until(async () => (await log('run_h'))[0]?.attempts === 1);
    const excerpt = (await log('run_h'))[0]!.log[0]!.responseExcerpt!;
    expect(excerpt.startsWith('echo [redacted] xxx')).toBe(true);
    expect(excerpt).not.toContain(secret);
    expect(excerpt.length).toBeLessThanOrEqual(201);
  });

  it('sends after a restart what an earlier process left in flight, once its lock expires', async () => {
    const server = await startSilentServer(1);
    try {
      const id = await finishRun('run_i', server.url);
      const first = dispatcher();
      first.start();
      await until(() => server.seen.length === 1);
      // The process goes away mid-attempt: nothing recorded, the delivery stays locked.
      await first.shutdown();
      expect((await log('run_i'))[0]).toMatchObject({ status: 'pending', attempts: 0 });
      // A new process on the same database.
      await stores.close();
      stores = await openStores(options);
      service = new WebhookService(stores, new AesGcmCipher(Buffer.alloc(32, 7)), clock);
      dispatcher().start();
      // Locked for the attempt's timeout plus a minute: another process could still be sending it.
      await clock.advance(69_000);
      expect(server.seen).toHaveLength(1);
      await clock.advance(2_000);
      await until(async () => (await log('run_i'))[0]?.status === 'delivered');
      expect(server.seen).toEqual([id, id]);
    } finally {
      await server.close();
    }
  });

  it('redelivers a failed delivery once on request, with its id, and refuses a pending or unknown one', async () => {
    let down = true;
    receiver.answer = (r): Answer => (r.path === '/gone' || down ? { status: 410, body: 'not deployed yet' } : { status: 200, body: 'ok' });
    const id = await finishRun('run_j', `${receiver.url}/hook`);
    const sender = dispatcher();
    const asking = new WebhookService(stores, new AesGcmCipher(Buffer.alloc(32, 7)), clock, (d) => sender.redeliver(d));
    sender.start();
    await until(async () => (await log('run_j'))[0]?.status === 'failed');
    expect(receiver.requests).toHaveLength(1);

    // The receiver is fixed; a person sends the delivery again.
    down = false;
    await clock.advance(5_000);
    const again = await asking.redeliver({ id: 'p1' }, 'run_j', id);
    expect(again).toMatchObject({ id, status: 'delivered', attempts: 2, deliveredAt: START + 5_000 });
    expect(again.log.map((a) => [a.attempt, a.statusCode])).toEqual([[1, 410], [2, 200]]);
    expect(receiver.requests.map((r) => r.headers['assay-delivery'])).toEqual([id, id]);
    expect(receiver.requests[1]!.body).toBe(receiver.requests[0]!.body);
    const { secret } = await service.secret({ id: 'p1' });
    expect(signatureValid(secret, String(receiver.requests[1]!.headers['assay-signature']), receiver.requests[1]!.body)).toBe(true);
    expect((await log('run_j'))[0]).toMatchObject({ status: 'delivered', attempts: 2 });

    // A redelivery that fails with a retryable status is not retried: it stays failed, said plainly.
    down = true;
    receiver.answer = () => ({ status: 503, body: 'down' });
    const failed = await asking.redeliver({ id: 'p1' }, 'run_j', id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, nextAttemptAt: null });
    expect(failed.log.at(-1)!.error).toBe('the receiver answered 503');
    await clock.advance(3_600_000);
    expect(receiver.requests).toHaveLength(3);

    // Refusals: a pending delivery (its next attempt is scheduled), another run's id, another project's run.
    receiver.answer = () => ({ status: 500, body: 'boom' });
    const pending = await finishRun('run_k', receiver.url);
    sender.wake();
    await until(async () => (await log('run_k'))[0]?.attempts === 1);
    await expect(asking.redeliver({ id: 'p1' }, 'run_k', pending)).rejects.toMatchObject({ code: 'conflict' });
    await expect(asking.redeliver({ id: 'p1' }, 'run_k', id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(asking.redeliver({ id: 'p2' }, 'run_j', id)).rejects.toMatchObject({ code: 'run_not_found' });
  });
});
