// The one scheduler of a run's work, for its cells (phase 1) and its row-scoped comparisons
// (phase 2): takes tasks in order, keeps at most `concurrency` in flight, hands each result to
// the group committer, and stops dispatching on abort, a stop reason (budget, user) or a storage
// failure. The concurrency slot of a task is released as soon as it finishes, not when its
// result is committed; the committer's bounded buffer is the backpressure. No I/O.
import type { StopReason } from '../model/run.js';
import { GroupCommitter, type GroupCommitOptions, type Later } from './group-commit.js';
import { Semaphore } from './limiter.js';

export interface SchedulerPorts<T, R> {
  /**
   * The tasks still to do, in dispatch order, a page at a time (read lazily). Pages, not single
   * tasks: an async iterator costs a promise and a microtask round per item it yields.
   */
  tasks: AsyncIterable<readonly T[]>;
  /** Runs one task to its result; failures are data, except an abandonment (the run stops). */
  execute(task: T): Promise<R>;
  /** What a task that threw unexpectedly leaves behind: a failed result, or null to leave it undone. */
  crashed(task: T, error: unknown): R | null;
  /** Durably commits a batch (then publishes it). */
  commit(batch: R[]): Promise<void>;
  /** Checked before each dispatch: a reason to stop starting tasks, or null. */
  stopReason(): StopReason | null;
  signal: AbortSignal;
  concurrency: number;
  /** The clock's timer, for the group-commit window. */
  later: Later;
  /**
   * Lets pending I/O run (e.g. setImmediate). Called every DISPATCH_BURST dispatches so a burst
   * of tasks starting together puts its first requests on the wire while the rest are prepared.
   */
  breathe?: () => Promise<void>;
  commitOptions: GroupCommitOptions;
  /** A result's size in bytes, about, for the committer's byte bounds; none: by count only. */
  sizeOf?: (result: R) => number;
}

export type ScheduleOutcome = { kind: 'finished' } | { kind: 'stopped'; reason: StopReason };

/** Dispatches between two breaths. */
export const DISPATCH_BURST = 16;

export async function schedule<T, R>(ports: SchedulerPorts<T, R>): Promise<ScheduleOutcome> {
  const slots = new Semaphore(ports.concurrency);
  const committer = new GroupCommitter<R>((batch) => ports.commit(batch), ports.commitOptions, ports.later, ports.sizeOf);
  const inFlight = new Set<Promise<void>>();
  let stop: StopReason | null = null;
  let interrupted = false;
  const stopping = (): boolean => {
    interrupted = (stop ??= ports.stopReason()) !== null || ports.signal.aborted || committer.error !== undefined;
    return interrupted;
  };

  let burst = 0;
  pages: for await (const page of ports.tasks) {
    for (const task of page) {
      if (stopping()) break pages;
      await committer.room();
      let release: () => void;
      try {
        release = await slots.acquire(ports.signal);
      } catch {
        interrupted = true;
        break pages;
      }
      if (stopping()) {
        release();
        break pages;
      }
      const running = ports
        .execute(task)
        .then(
          (result) => committer.add(result),
          (error: unknown) => {
            const left = ports.crashed(task, error);
            if (left !== null) committer.add(left);
          },
        )
        .finally(() => {
          release();
          inFlight.delete(running);
        });
      inFlight.add(running);
      if (ports.breathe && ++burst % DISPATCH_BURST === 0) await ports.breathe();
    }
  }
  await Promise.all(inFlight);
  await committer.close();
  if (ports.signal.aborted) return { kind: 'stopped', reason: stop ?? ports.stopReason() ?? 'user' };
  return interrupted && stop ? { kind: 'stopped', reason: stop } : { kind: 'finished' };
}
