// The run host of one process: takes runs from the work queue, claims their lease, executes
// them, and sweeps for runs nobody executes (after a crash or restart) to pick them up.
// On shutdown it stops its runs without ending them, so the next process continues them.
import type { Logger, Stores, WorkQueue } from '../../core/ports.js';
import { type Execution, type ExecutorDeps, startExecution } from './executor.js';

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
}

export class RunHost {
  private readonly executions = new Map<string, Execution>();
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly queue: WorkQueue,
    private readonly options: RunHostOptions,
  ) {}

  private get stores(): Stores {
    return this.deps.stores;
  }

  private get logger(): Logger {
    return this.deps.logger;
  }

  /** Starts taking work, and picks up runs left running by earlier processes. */
  async start(): Promise<void> {
    this.queue.start((runId) => this.execute(runId));
    await this.sweep(this.options.soleExecutor);
    this.sweepTimer = setInterval(() => void this.sweep(false), this.options.sweepMs);
    this.sweepTimer.unref?.();
  }

  /** Executes a run here if its lease can be taken; resolves when it ends or stops here. */
  async execute(runId: string, force = false): Promise<void> {
    if (this.stopped || this.executions.has(runId)) return;
    const now = this.deps.clock.now();
    const claimed = await this.stores.runs.claim(runId, this.options.owner, now + this.deps.leaseMs, force ? Number.MAX_SAFE_INTEGER : now);
    if (!claimed) return;
    const execution = startExecution(this.deps, claimed, this.options.owner);
    this.executions.set(runId, execution);
    try {
      await execution.done;
    } finally {
      this.executions.delete(runId);
    }
  }

  /** Stops a run executing in this process at once (the abort flag covers other processes). */
  abortLocal(runId: string): void {
    this.executions.get(runId)?.stop('user');
  }

  get activeRuns(): number {
    return this.executions.size;
  }

  private async sweep(takeAll: boolean): Promise<void> {
    if (this.stopped) return;
    try {
      const now = this.deps.clock.now();
      const ids = await this.stores.runs.claimable(takeAll ? Number.MAX_SAFE_INTEGER : now, 100);
      for (const id of ids) if (!this.executions.has(id)) void this.execute(id, takeAll);
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'run recovery sweep failed');
    }
  }

  /** Stops executing (runs stay `running` for the next process) and waits for commits to land. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const e of this.executions.values()) e.stop('shutdown');
    await Promise.all([...this.executions.values()].map((e) => e.done));
    await this.queue.close();
  }
}
