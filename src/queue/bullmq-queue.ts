// The cluster work queue: runs are BullMQ jobs on Redis, taken by whichever `assay worker` (or
// `serve` with ASSAY_ROLE=all) is free. The durable record of pending work stays the run row
// (status running, no live lease), so a job lost with Redis, or held by a worker killed mid-run,
// is still picked up: BullMQ's stalled-job check hands a dead worker's job to another, and every
// executing process's recovery sweep takes runs whose lease expired (app/runs/host.ts). The
// lease, not the job, decides who executes: a job delivered twice claims once.
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger, ShardQueue, WorkQueue } from '../core/ports.js';
import type { OpenShard } from '../core/shard-store.js';

/** BullMQ's queue name for runs (keys `<prefix>:runs:*`). */
export const RUN_QUEUE = 'runs';
/** BullMQ's queue name for shards of runs (keys `<prefix>:shards:*`, docs/deployment.md "Shards"). */
export const SHARD_QUEUE = 'shards';
/** Jobs per addBulk call when a run's shards are first queued (a million-row run has 4,000). */
const ADD_CHUNK = 500;

/**
 * A shard job's id: run, shard and how often the shard was claimed before, so a shard whose
 * worker died gets a new job at once (its old one is still "active" until BullMQ's stalled
 * check) while a shard queued twice under the same claim count is one job.
 */
export function shardJobId(runId: string, shard: number, claims: number): string {
  return `${runId}.${shard}.${claims}`;
}

/** How long starting a run waits for Redis to take its job before answering anyway. */
const ENQUEUE_WAIT_MS = 2_000;

export interface BullMqQueueOptions {
  redisUrl: string;
  /** Key prefix of every BullMQ key (default `assay`). */
  prefix?: string;
  /** Runs one process executes at once (each run bounds its own cells by execution.concurrency). */
  runsAtOnce: number;
  /** Shards one process executes at once, of any runs (default runsAtOnce). */
  shardsAtOnce?: number;
  logger: Logger;
}

/** A connection as BullMQ wants it: commands wait for a reconnect instead of failing after 20 tries. */
export function bullConnection(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

export class BullMqQueue implements WorkQueue, ShardQueue {
  private readonly connection: Redis;
  private readonly queue: Queue<{ runId: string }>;
  private readonly shardQueue: Queue<{ runId: string; shard: number }>;
  private worker: Worker<{ runId: string }> | null = null;
  private shardWorker: Worker<{ runId: string; shard: number }> | null = null;
  readonly shards: ShardQueue = this;
  private waiting = 0;
  private readonly refresh: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: BullMqQueueOptions) {
    this.connection = bullConnection(options.redisUrl);
    this.connection.on('error', (err: Error) => options.logger.warn({ err: err.message }, 'redis (queue) connection error'));
    this.queue = new Queue(RUN_QUEUE, { connection: this.connection, prefix: options.prefix ?? 'assay' });
    this.queue.on('error', (err: Error) => options.logger.warn({ err: err.message }, 'run queue error'));
    this.shardQueue = new Queue(SHARD_QUEUE, { connection: this.connection, prefix: options.prefix ?? 'assay' });
    this.shardQueue.on('error', (err: Error) => options.logger.warn({ err: err.message }, 'shard queue error'));
    // /metrics reads the depth synchronously; a count every 5 s is plenty for a gauge.
    this.refresh = setInterval(() => {
      this.queue.getWaitingCount().then((n) => (this.waiting = n), () => {});
    }, 5_000);
    this.refresh.unref();
  }

  /**
   * Adds the run's job. The job id is the run id, so a run already waiting is not queued twice;
   * finished jobs are removed, so a resumed run can be queued again. Never fails and never waits
   * long: with Redis down the run, already stored, is taken by a worker's sweep instead (and
   * the add still lands if Redis comes back first), so starting a run does not hang on Redis.
   */
  async enqueue(runId: string): Promise<void> {
    if (this.closed) return;
    const added = this.queue.add('run', { runId }, { jobId: runId, removeOnComplete: true, removeOnFail: true, attempts: 1 }).then(
      () => 'added' as const,
      (err: unknown) => {
        this.options.logger.warn({ runId, err: err instanceof Error ? err.message : String(err) }, 'could not queue a run; a worker\'s sweep will take it');
        return 'failed' as const;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), ENQUEUE_WAIT_MS);
    });
    const outcome = await Promise.race([added, late]);
    clearTimeout(timer);
    if (outcome === 'late') this.options.logger.warn({ runId }, 'redis did not take the run\'s job in time; a worker\'s sweep will take it if the job never lands');
  }

  /**
   * Queues a run's open shards (finished jobs are removed, so an open shard can be queued
   * again). Never fails: a shard that could not be queued is queued by the coordinator's next
   * round (REQUEUE_MS), and a Redis outage must not end the coordination.
   */
  async enqueueShards(runId: string, shards: OpenShard[]): Promise<void> {
    if (this.closed) return;
    for (let i = 0; i < shards.length; i += ADD_CHUNK) {
      const jobs = shards.slice(i, i + ADD_CHUNK).map((s) => ({
        name: 'shard', data: { runId, shard: s.shard }, opts: { jobId: shardJobId(runId, s.shard, s.claims), removeOnComplete: true, removeOnFail: true, attempts: 1 },
      }));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), ENQUEUE_WAIT_MS);
      });
      const outcome = await Promise.race([this.shardQueue.addBulk(jobs).then(() => 'added' as const, (err: unknown) => err), late]);
      clearTimeout(timer);
      if (outcome !== 'added') {
        this.options.logger.warn({ runId, err: outcome === 'late' ? 'timed out' : outcome instanceof Error ? outcome.message : String(outcome) }, 'could not queue shards; will try again');
        return;
      }
    }
  }

  /** Starts taking shard jobs: `handler` resolves when the shard is done or stopped here (it never rejects). */
  startShards(handler: (runId: string, shard: number) => Promise<void>): void {
    if (this.shardWorker || this.closed) return;
    this.shardWorker = new Worker<{ runId: string; shard: number }>(SHARD_QUEUE, async (job) => handler(job.data.runId, job.data.shard), {
      connection: bullConnection(this.options.redisUrl),
      prefix: this.options.prefix ?? 'assay',
      concurrency: this.options.shardsAtOnce ?? this.options.runsAtOnce,
    });
    this.shardWorker.on('error', (err: Error) => this.options.logger.warn({ err: err.message }, 'shard queue worker error'));
  }

  /** Runs waiting in Redis for a worker, as last counted (for /metrics). */
  get pending(): number {
    return this.waiting;
  }

  /** Starts taking jobs: `handler` resolves when the run ended or stopped here (it never rejects). */
  start(handler: (runId: string) => Promise<void>): void {
    if (this.worker || this.closed) return;
    this.worker = new Worker<{ runId: string }>(RUN_QUEUE, async (job: Job<{ runId: string }>) => handler(job.data.runId), {
      connection: bullConnection(this.options.redisUrl),
      prefix: this.options.prefix ?? 'assay',
      concurrency: this.options.runsAtOnce,
    });
    this.worker.on('error', (err: Error) => this.options.logger.warn({ err: err.message }, 'run queue worker error'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.refresh);
    // The host has stopped its executions first, so active jobs are settling; their runs stay
    // `running` without a lease and the next sweep of any worker continues them.
    await this.worker?.close();
    await this.shardWorker?.close();
    await this.queue.close();
    await this.shardQueue.close();
    this.connection.disconnect();
  }
}
