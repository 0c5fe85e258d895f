// The evaluator workers' scheduling priority. A worker evaluates a project's inputs at nice +10,
// so that on a small machine the main thread keeps the CPU it needs to answer requests. Loading
// the worker (the modules of the first evaluator it is sent: ≈ 65–90 ms of thread CPU from dist/
// since it stopped loading the whole catalogue, ≈ 140 ms before) is not a project's work and
// runs at the server's priority: loaded at +10 beside busy processes, a
// worker took 35 s to start (0.5 s of CPU), and the 10 ms evaluation waiting for it came within
// 3 s of its 30 s deadline. See docs/decisions.md, "Evaluator workers load before they lower
// their priority".
import os from 'node:os';

/** How much lower than the server's a worker's priority is while it evaluates. */
export const WORKER_NICE_INCREMENT = 10;

/**
 * Whether a worker lowers its own priority once loaded (./worker.ts). Only Linux keeps a
 * priority per thread; elsewhere setpriority would lower the whole server, so there the pool
 * leaves it to Piscina's niceIncrement, applied before the worker loads.
 */
export const LOWERED_AFTER_LOADING = process.platform === 'linux';

/** Lowers the calling thread's priority by WORKER_NICE_INCREMENT (a worker's, once its modules are loaded). */
export function lowerThisThread(): void {
  if (!LOWERED_AFTER_LOADING) return;
  try {
    os.setPriority(Math.min(19, os.getPriority() + WORKER_NICE_INCREMENT));
  } catch {
    // As Piscina does when it cannot lower a worker (no @napi-rs/nice): the worker still runs.
  }
}
