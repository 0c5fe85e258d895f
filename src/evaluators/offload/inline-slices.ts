// Inline evaluations share the main thread with everything else the server does. A cell may
// have 100 evaluators and an evaluator set 50 members, and the engine starts a cell's evaluators
// together: 5,000 evaluations of a few ms each, each within its family's cap, would otherwise run
// back to back (their work mostly runs in promise continuations, which never let the event loop
// in) and stall the server for seconds. So capped inline evaluations take turns: one at a time,
// each measured from start to end, and once SLICE_MS has gone by without a break the next one
// first lets the event loop run (timers, I/O, requests), as template rendering does
// (targets/render-turn.ts). One thread runs them either way, so taking turns costs no throughput.
//
// This runs for every cheap check of every cell, so it is kept lean: a plain queue instead of a
// promise chain, a turn that starts at once when nobody waits, and no abort listener at all: a
// listener added and removed per cell was ≈ 1.5 µs of a cell's ≈ 200 µs at zero latency, so a
// turn's signal is looked at by one watchdog timer instead (WATCH_MS), which is armed only while
// turns are being taken.

import type { StopState } from '../../core/stop-state.js';

/** Evaluation time after which the next inline evaluation yields to the event loop first. */
const SLICE_MS = 10;
/**
 * How often the running turn's signal is checked: a hung evaluation gives up its turn at most
 * this long after its signal aborted (signals abort on evaluator deadlines of seconds).
 */
const WATCH_MS = 50;

/** Milliseconds of inline evaluation since the event loop last ran for us. */
let sinceYield = 0;
/** The turn being taken, if any. */
let current: Turn | undefined;
/** True while the event loop runs between two turns (no turn may start meanwhile). */
let yielding = false;
/** Turns waiting, first in first out: `waiting[head…]` (an index, not shift(): queues reach thousands). */
let waiting: Turn[] = [];
let head = 0;
/** True while the watchdog timer is armed. */
let watching = false;
/** The real setImmediate and setTimeout, kept even if a test later installs fake timers. */
const immediate = globalThis.setImmediate;
const timeout = globalThis.setTimeout;

interface Turn {
  evaluate(): Promise<unknown>;
  /** The evaluation's signal, or its state read without making it (EvaluatorContext.stop). */
  signal: StopState;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  started: number;
}

/** Arms the watchdog unless it is armed; it does not keep the process alive. */
function watch(): void {
  if (watching) return;
  watching = true;
  timeout(check, WATCH_MS).unref();
}

/**
 * The watchdog: a turn whose signal aborted while it ran gives up its turn, so one that never
 * settles cannot hold up the others. It re-arms while a turn runs; idle, it stops.
 */
function check(): void {
  watching = false;
  const turn = current;
  if (turn?.signal.aborted) end(turn, false, turn.signal.reason);
  if (current) watch();
}

/** Settles `turn` (once) and hands the thread to the next one. */
function end(turn: Turn, ok: boolean, value: unknown): void {
  if (current !== turn) return;
  current = undefined;
  sinceYield += performance.now() - turn.started;
  if (ok) turn.resolve(value);
  else turn.reject(value);
  next();
}

/** Starts waiting turns while the thread is free (a loop, not recursion: thousands may be queued). */
function next(): void {
  while (!current && !yielding) {
    if (head === waiting.length) {
      // Nothing waits: let the queue's array go.
      if (head > 0) {
        waiting = [];
        head = 0;
      }
      return;
    }
    const turn = waiting[head]!;
    if (sinceYield >= SLICE_MS && !turn.signal.aborted) {
      yielding = true;
      yieldToLoop(() => {
        yielding = false;
        next();
      });
      return;
    }
    waiting[head++] = undefined as unknown as Turn;
    if (head >= 1024 && head * 2 >= waiting.length) {
      // A queue that never drains under steady load: drop the taken half now and then.
      waiting = waiting.slice(head);
      head = 0;
    }
    if (turn.signal.aborted) {
      // Aborted while it waited: never started.
      turn.reject(turn.signal.reason);
      continue;
    }
    start(turn);
  }
}

/**
 * Lets the event loop poll for I/O once: two immediates, the second queued from the check
 * phase, so it runs only after the loop has gone round again.
 */
function yieldToLoop(then: () => void): void {
  immediate(() =>
    immediate(() => {
      sinceYield = 0;
      then();
    }),
  );
}

function start(turn: Turn): void {
  current = turn;
  watch();
  turn.started = performance.now();
  let work: Promise<unknown>;
  try {
    work = turn.evaluate();
  } catch (error) {
    // Thrown before any await: settled here, and next()'s loop goes on.
    current = undefined;
    sinceYield += performance.now() - turn.started;
    turn.reject(error);
    return;
  }
  work.then(
    (value) => end(turn, true, value),
    (error: unknown) => end(turn, false, error),
  );
}

/**
 * Runs `evaluate` (an inline evaluation) in its turn. An evaluation whose signal aborts while it
 * waits is not started; one whose signal aborts while it runs gives up its turn and rejects with
 * the signal's reason.
 */
export function inlineTurn<T>(evaluate: () => Promise<T>, signal: StopState): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    waiting.push({ evaluate, signal, resolve: resolve as (value: unknown) => void, reject, started: 0 });
    next();
  });
}
