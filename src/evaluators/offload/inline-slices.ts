// Inline evaluations share the main thread with everything else the server does. A cell may
// have 100 evaluators and an evaluator set 50 members, and the engine starts a cell's evaluators
// together: 5,000 evaluations of a few ms each, each within its family's cap, would otherwise run
// back to back (their work mostly runs in promise continuations, which never let the event loop
// in) and stall the server for seconds. So capped inline evaluations take turns: one at a time,
// each measured from start to end, and once SLICE_MS has gone by without a break the next one
// first lets the event loop run (timers, I/O, requests), as template rendering does
// (targets/render-turn.ts). One thread runs them either way, so taking turns costs no throughput.

/** Evaluation time after which the next inline evaluation yields to the event loop first. */
const SLICE_MS = 10;

/** Milliseconds of inline evaluation since the event loop last ran for us. */
let sinceYield = 0;
/** Settles when the last evaluation that took a turn is done (or abandoned). */
let previous: Promise<unknown> = Promise.resolve();
/** The real setImmediate, kept even if a test later installs fake timers. */
const immediate = globalThis.setImmediate;

/**
 * Lets the event loop poll for I/O once: two immediates, the second queued from the check
 * phase, so it runs only after the loop has gone round again.
 */
const yieldToLoop = (): Promise<void> =>
  new Promise<void>((resolve) =>
    immediate(() =>
      immediate(() => {
        sinceYield = 0;
        resolve();
      }),
    ),
  );

/** Settles like `work`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    // Removed once the work settles: a cell's evaluators share one signal.
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Runs `evaluate` (an inline evaluation) in its turn. An evaluation whose signal aborts while it
 * waits is not started; one whose signal aborts while it runs gives up its turn (so one that
 * never settles cannot hold up the others) and rejects with the signal's reason.
 */
export function inlineTurn<T>(evaluate: () => Promise<T>, signal: AbortSignal): Promise<T> {
  const turn = previous.then(async () => {
    if (sinceYield >= SLICE_MS) await yieldToLoop();
    signal.throwIfAborted();
    const started = performance.now();
    try {
      return await untilAborted(evaluate(), signal);
    } finally {
      sinceYield += performance.now() - started;
    }
  });
  previous = turn.catch(() => undefined);
  return turn;
}
