// The run host of one process: takes runs from the work queue, claims their lease, executes
// them, and sweeps for runs nobody executes (after a crash or restart) to pick them up.
// An execution that fails (storage refusing writes, say) gives its lease back when it can and
// is tried again here with backoff, so a run outlives a storage outage without a restart.
// On shutdown it stops its runs without ending them, so the next process continues them.
import { isSharded } from '../../core/engine/shards.js';
import { every, type Logger, type ShardQueue, type WorkQueue } from '../../core/ports.js';
import type { RunShardStore } from '../../core/shard-store.js';
import { type Execution, type ExecutorDeps, startExecution } from './executor.js';
import type { SlotAcquire } from './cell-runner.js';
import { startShard } from './shard-executor.js';
import { startShardedRun } from './sharded-run.js';

/** Backoff before executing a run again after its execution failed: the first delay… */
export const RETRY_BASE_MS = 250;
/** …and the ceiling it doubles up to (the wait after storage comes back is at most this). */
export const RETRY_CAP_MS = 4_000;

export interface RunHostOptions {
  /** This process's lease owner id. */
  owner: string;
  /** How often to look for orphaned runs. */
  sweepMs: number;
  /**
   * Embedded mode: this process is the only executor of its database, so leases left by a
   * previous (killed) process can be taken at once instead of waiting for them to expire.
   */
  soleExecutor: boolean;
  /**
   * Most runs executing here at once (cluster workers); a wake-up beyond it is ignored and the
   * run stays for the queue or a later sweep, here or elsewhere. Default: no bound (embedded).
   */
  maxRuns?: number;
  /**
   * Cluster mode: runs larger than a shard are split (docs/deployment.md, "Shards") and this
   * process executes shards the queue hands it. Absent (embedded): one executor per run.
   */
  sharding?: {
    store: RunShardStore;
    queue: ShardQueue;
    /** A run's cells in flight across every worker, bounded by its execution.concurrency. */
    runSlots?: (runId: string, limit: number) => SlotAcquire;
  };
}

export class RunHost {
  private readonly executions = new Map<string, Execution>();
  /** Shards executing here, by `runId/shard`. */
  private readonly shardExecutions = new Map<string, { runId: string; execution: Execution }>();
  /** Shards (`runId/shard`) being claimed here. */
  private readonly claimingShards = new Set<string>();
  /** Runs between "about to claim" and "executing": a second wake-up must not claim them again. */
  private readonly claiming = new Set<string>();
  /** Failed runs waiting for their next attempt, with how many attempts failed in a row. */
  private readonly retries = new Map<string, { failures: number; cancel: (() => void) | null }>();
  private stopSweeping: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly queue: WorkQueue,
    private readonly options: RunHostOptions,
  ) {}

  private get stores(): ExecutorDeps['stores'] {
    return this.deps.stores;
  }

  private get logger(): Logger {
    return this.deps.logger;
  }

  /** Starts taking work, and picks up runs left running by earlier processes. */
  async start(): Promise<void> {
    this.queue.start((runId) => this.execute(runId));
    this.options.sharding?.queue.startShards((runId, shard) => this.executeShard(runId, shard));
    await this.sweep(this.options.soleExecutor);
    this.stopSweeping = every(this.deps.clock, this.options.sweepMs, () => void this.sweep(false));
  }

  /**
   * Executes a run here if its lease can be taken; resolves when it ends or stops here, or
   * fails (then it is retried later). Never rejects.
   */
  async execute(runId: string, force = false): Promise<void> {
    // The claim below also succeeds for a lease we already hold, so two wake-ups of one run
    // (queue, sweep, retry) racing through it would execute the run twice at once.
    if (this.stopped || this.executions.has(runId) || this.claiming.has(runId)) return;
    if (this.executions.size + this.claiming.size >= (this.options.maxRuns ?? Infinity)) return;
    this.claiming.add(runId);
    let execution: Execution;
    try {
      const now = this.deps.clock.now();
      const claimed = await this.stores.runs.claim(runId, this.options.owner, now + this.deps.leaseMs, force ? Number.MAX_SAFE_INTEGER : now);
      if (!claimed || this.stopped) {
        if (claimed) await this.stores.runs.release(runId, this.options.owner);
        this.forgetRetry(runId);
        return;
      }
      const sharding = this.options.sharding;
      execution = sharding && isSharded(claimed.spec)
        ? startShardedRun(this.shardDeps(sharding), sharding.queue, claimed, this.options.owner)
        : startExecution(this.deps, claimed, this.options.owner);
      this.executions.set(runId, execution);
      // One line per run taken (in a cluster: which worker executes what, docs/deployment.md).
      this.logger.info({ runId, workerId: this.options.owner, committed: claimed.progress, total: claimed.total }, 'took run');
    } catch (error) {
      this.logger.warn({ runId, err: error instanceof Error ? error.message : String(error) }, 'could not claim a run; will try again');
      this.retryLater(runId);
      return;
    } finally {
      this.claiming.delete(runId);
    }
    try {
      const end = await execution.done;
      if (end.kind === 'settled') {
        this.forgetRetry(runId);
        return;
      }
      // Give the lease back if storage lets us, so any executor may take the run at once.
      await this.stores.runs.release(runId, this.options.owner).catch(() => {});
      this.retryLater(runId);
    } finally {
      this.executions.delete(runId);
    }
  }

  private shardDeps(sharding: NonNullable<RunHostOptions['sharding']>) {
    return { ...this.deps, shards: sharding.store, ...(sharding.runSlots ? { runSlots: sharding.runSlots } : {}) };
  }

  /**
   * Executes one shard here if its lease can be taken (a shard already done, held elsewhere or
   * of an ended run is skipped); resolves when it is done or stopped here. Never rejects.
   */
  async executeShard(runId: string, shard: number): Promise<void> {
    const sharding = this.options.sharding;
    const key = `${runId}/${shard}`;
    // Two deliveries of one shard (a stalled job handed out again) must not both claim it here.
    if (!sharding || this.stopped || this.shardExecutions.has(key) || this.claimingShards.has(key)) return;
    this.claimingShards.add(key);
    try {
      const now = this.deps.clock.now();
      const range = await sharding.store.claim(runId, shard, this.options.owner, now + this.deps.leaseMs, now);
      if (!range) return;
      const run = this.stopped ? null : await this.stores.runs.getById(runId);
      // A shard job taken after an abort starts no cell (the run is about to end stopped).
      if (!run || run.status !== 'running' || run.abortRequested) {
        await sharding.store.release(runId, shard, this.options.owner);
        return;
      }
      const execution = startShard(this.shardDeps(sharding), run, range, this.options.owner);
      this.shardExecutions.set(key, { runId, execution });
      this.claimingShards.delete(key);
      // One line per shard taken (docs/deployment.md): which worker executes what.
      this.logger.info({ runId, shard, fromCell: range.fromCell, toCell: range.toCell, workerId: this.options.owner }, 'took shard');
      try {
        await execution.done;
      } finally {
        this.shardExecutions.delete(key);
      }
    } catch (error) {
      // Nothing to retry here: the run's coordinator queues the shard again once it is open.
      this.logger.warn({ runId, shard, err: error instanceof Error ? error.message : String(error) }, 'could not take a shard');
    } finally {
      this.claimingShards.delete(key);
    }
  }

  private retryLater(runId: string): void {
    if (this.stopped) return;
    const state = this.retries.get(runId) ?? { failures: 0, cancel: null };
    if (state.cancel) return;
    state.failures++;
    const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (state.failures - 1));
    const delay = ceiling / 2 + (this.deps.random() * ceiling) / 2;
    state.cancel = this.deps.clock.later(delay, () => {
      state.cancel = null;
      void this.execute(runId);
    });
    this.retries.set(runId, state);
  }

  private forgetRetry(runId: string): void {
    this.retries.get(runId)?.cancel?.();
    this.retries.delete(runId);
  }

  /** Stops a run executing in this process at once (the abort flag covers other processes). */
  abortLocal(runId: string): void {
    this.executions.get(runId)?.stop('user');
    for (const s of this.shardExecutions.values()) if (s.runId === runId) s.execution.stop('user');
  }

  get activeRuns(): number {
    return this.executions.size;
  }

  private async sweep(takeAll: boolean): Promise<void> {
    if (this.stopped) return;
    try {
      const now = this.deps.clock.now();
      const ids = await this.stores.runs.claimable(takeAll ? Number.MAX_SAFE_INTEGER : now, 100);
      for (const id of ids) {
        if (this.executions.size + this.claiming.size >= (this.options.maxRuns ?? Infinity)) break;
        if (!this.executions.has(id)) void this.execute(id, takeAll);
      }
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'run recovery sweep failed');
    }
  }

  /** Stops executing (runs stay `running` for the next process) and waits for commits to land. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    this.stopSweeping?.();
    for (const id of [...this.retries.keys()]) this.forgetRetry(id);
    const all = [...this.executions.values(), ...[...this.shardExecutions.values()].map((s) => s.execution)];
    for (const e of all) e.stop('shutdown');
    await Promise.all(all.map((e) => e.done));
    await this.queue.close();
  }
}
