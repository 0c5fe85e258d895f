// The evaluator pool: worker threads (Piscina) that run offline evaluations too large to run
// inline (./guard.ts). Each task carries the evaluation's signal; when it aborts (the cell's
// evaluator deadline, or the run stopping) Piscina rejects at once and terminates the worker if
// the task is running, so a deadline holds even in synchronous code (a quadratic parser, a
// uniqueItems check on 20,000 objects). See docs/decisions.md, "Evaluators off the main thread".
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import type { EvaluatorOffload, OffloadedEvaluation } from '../../core/model/adapters.js';
import type { EvaluationResult } from '../../core/model/results.js';
import { Admission } from './admission.js';
import { LOWERED_AFTER_LOADING, WORKER_NICE_INCREMENT } from './priority.js';

export interface EvaluatorPool extends EvaluatorOffload {
  /** Terminates the workers; tasks still queued or running reject. */
  close(): Promise<void>;
}

export interface EvaluatorPoolOptions {
  /** Most worker threads (default: 2, or 1 on a single-core machine). */
  maxThreads?: number;
  /** A worker idle this long exits (default 30 s), so an idle server holds no thread. */
  idleTimeoutMs?: number;
  /** Old-generation heap of each worker, MB (default 512): an evaluation past it fails alone. */
  heapMb?: number;
  /**
   * Told of a worker that failed outside any task (its entry could not be loaded, or an idle
   * worker threw). Piscina emits these as 'error' events, which would end the process with no
   * listener; the tasks it held fail on their own.
   */
  onError?: (error: unknown) => void;
  /** The worker's entry file (default: the one next to this module; a test gives a broken one). */
  entry?: string;
}

/**
 * The worker's entry. From the sources (tsx, vitest) this file is ./pool.ts and the worker needs
 * a bootstrap that registers tsx; from dist/ it is ./pool.js next to the compiled worker.js, and
 * in the bundle (dist/bundle/) a chunk next to the worker's own entry, also named worker.js.
 */
function workerEntry(): string {
  const fromSources = import.meta.url.endsWith('.ts');
  return fileURLToPath(new URL(fromSources ? './worker-tsx.mjs' : './worker.js', import.meta.url));
}

/**
 * The pool, created on the first offloaded evaluation (Piscina itself is imported then): no
 * thread exists until an input needs one, and workers exit when idle. Workers evaluate at a lower
 * scheduling priority (nice +10 on Linux, per thread), so on a small machine the main thread
 * still gets the CPU it needs to answer requests while they compute; on Linux they load at the
 * server's priority first (./priority.ts).
 */
export function createEvaluatorPool(options: EvaluatorPoolOptions = {}): EvaluatorPool {
  let pool: Promise<Running> | undefined;
  let closed = false;
  const maxThreads = options.maxThreads ?? Math.min(2, os.availableParallelism());
  const admission = new Admission(maxThreads);
  const start = (): Promise<Running> =>
    (pool ??= import('piscina').then(({ Piscina }) => {
      // Threads of the workers that have loaded (Piscina's 'workerCreate' comes when one has).
      const loaded = new Set<number>();
      const piscina = new Piscina({
        filename: options.entry ?? workerEntry(),
        minThreads: 0,
        maxThreads,
        idleTimeout: options.idleTimeoutMs ?? 30_000,
        // Workers wait for tasks on their event loop rather than blocked in Atomics.wait, so
        // the asynchronous loading of an evaluator's libraries can finish between tasks.
        atomics: 'disabled',
        // On Linux the worker lowers its own thread once its modules are loaded (./priority.ts).
        niceIncrement: LOWERED_AFTER_LOADING ? 0 : WORKER_NICE_INCREMENT,
        resourceLimits: { maxOldGenerationSizeMb: options.heapMb ?? 512 },
        // A task goes to an idle worker that has loaded, or waits for one. Piscina's own balancer
        // also hands a waiting task to a worker still loading, where it stays even when another
        // worker frees up first (piscinajs/piscina#1056): it waited out that load (seconds, and
        // tens of seconds at nice +10 on a busy machine) while later tasks ran past it. Every
        // task here has a signal, so a busy worker takes no second one.
        loadBalancer: (_task, workers) => workers.find((w) => w.currentUsage === 0 && loaded.has(w.id)) ?? null,
      });
      piscina.on('workerCreate', (worker: { id: number }) => loaded.add(worker.id));
      piscina.on('workerDestroy', (worker: { id: number }) => loaded.delete(worker.id));
      let fail: (error: unknown) => void = () => {};
      const failed = new Promise<never>((_resolve, reject) => (fail = reject));
      failed.catch(() => {});
      const running: Running = { piscina, failed, served: false };
      // Piscina emits 'error' for a worker that fails outside any task; with no listener it
      // would end the process. The tasks that worker held fail on their own (Piscina rejects
      // them), so what an error means depends on whether this pool's workers ever served:
      // - never: the worker cannot start (its entry cannot be loaded, say), and the tasks
      //   waiting for a worker would wait forever. The evaluations in flight fail with the
      //   error, and the next one starts a new pool.
      // - once they did: one idle worker failed (a stray timer in an evaluator library, say).
      //   Piscina has dropped it and starts another when a task needs one, so the evaluations
      //   running on the other workers go on.
      piscina.on('error', (error: unknown) => {
        options.onError?.(error);
        if (running.served) return;
        fail(new Error(`the evaluator worker failed: ${error instanceof Error ? error.message : String(error)}`));
        pool = undefined;
        void piscina.destroy().catch(() => {});
      });
      return running;
    }));
  return {
    async evaluate(call: OffloadedEvaluation, signal: AbortSignal): Promise<EvaluationResult> {
      if (closed) throw new Error('the evaluator pool is closed');
      return admission.run(async () => {
        const running = await start();
        const result = (await Promise.race([running.piscina.run(call, { signal }), running.failed])) as EvaluationResult;
        running.served = true;
        return result;
      }, signal);
    },
    async close() {
      closed = true;
      if (pool) await (await pool).piscina.destroy();
    },
  };
}

/** A started pool, a promise that rejects if its workers cannot start, and whether one ever answered. */
interface Running {
  piscina: Piscina;
  failed: Promise<never>;
  served: boolean;
}
