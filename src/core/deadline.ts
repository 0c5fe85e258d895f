// Deadlines: a timer-backed abort that makes its AbortSignal only when one is read, with one
// abort listener per parent signal (docs/decisions.md, "Deadlines without a signal until one is
// read"). Kept apart from the ports, which name the type, so the ports stay declarations.

import type { Stoppable } from './stop-state.js';

export interface Deadline extends Stoppable {
  /**
   * Made on first read: most of a cell's evaluators never look at it (docs/decisions.md,
   * "Deadlines without a signal until one is read"). `aborted` and `reason` say the same
   * without making it.
   */
  readonly signal: AbortSignal;
  /** True once the time ran out (not when the parent aborted). */
  readonly expired: boolean;
  clear(): void;
}

/**
 * The deadlines waiting on each parent signal. A parent gets one abort listener for all its
 * deadlines instead of one each: adding and removing an EventTarget listener per deadline (two
 * a cell, on the run's signal) was a measurable part of a cell's CPU.
 */
const waitingOn = new WeakMap<AbortSignal, Set<TimerDeadline>>();

/** Adds `child` to its parent's set (made, with the parent's one listener, on first use); answers the set. */
function attach(parent: AbortSignal, child: TimerDeadline): Set<TimerDeadline> {
  let children = waitingOn.get(parent);
  if (!children) {
    const set = new Set<TimerDeadline>();
    children = set;
    waitingOn.set(parent, set);
    parent.addEventListener(
      'abort',
      () => {
        waitingOn.delete(parent);
        // Deleted as it goes: a deadline cleared by a listener of an earlier one is skipped.
        for (const c of set) {
          set.delete(c);
          c.parentAborted(parent.reason);
        }
      },
      { once: true },
    );
  }
  children.add(child);
  return children;
}

/**
 * A deadline built on any cancellable timer. A class, not an object literal with a getter: V8
 * (Node 20) makes a literal with an accessor on its slow path, and each such object, with all it
 * points to (the controller, its signal, the timer), was promoted to the old generation
 * (docs/decisions.md, "No literal that starts with a spread on the hot path"). Its
 * AbortController is made when `signal` is first read: Node's constructor of one is slow (it
 * sets the signal's prototype) and its objects are promoted too.
 */
class TimerDeadline implements Deadline {
  private timedOut = false;
  private stopped = false;
  private why: unknown = undefined;
  private controller: AbortController | undefined = undefined;
  private readonly cancel: () => void;
  /** The set of its parent's deadlines it is in, until cleared, expired or aborted. */
  private siblings: Set<TimerDeadline> | undefined = undefined;
  /** `onStop` listeners: usually none or one, so no Set until a second. */
  private listener: ((reason: unknown) => void) | undefined = undefined;
  private moreListeners: Set<(reason: unknown) => void> | undefined = undefined;

  constructor(
    private readonly ms: number,
    parent: AbortSignal | undefined,
    setTimer: (ms: number, fire: () => void) => () => void,
    private readonly prepare: ((signal: AbortSignal) => void) | undefined,
  ) {
    if (parent?.aborted) {
      this.cancel = noop;
      this.stop(parent.reason);
      return;
    }
    this.cancel = setTimer(ms, () => this.fire());
    if (parent) this.siblings = attach(parent, this);
  }

  get signal(): AbortSignal {
    let controller = this.controller;
    if (!controller) {
      controller = new AbortController();
      this.controller = controller;
      this.prepare?.(controller.signal);
      if (this.stopped) controller.abort(this.why);
    }
    return controller.signal;
  }

  get aborted(): boolean {
    return this.stopped;
  }

  get reason(): unknown {
    return this.why;
  }

  get expired(): boolean {
    return this.timedOut;
  }

  onStop(listener: (reason: unknown) => void): () => void {
    if (this.stopped) {
      listener(this.why);
      return noop;
    }
    if (this.listener === undefined && this.moreListeners === undefined) {
      this.listener = listener;
      return () => {
        if (this.listener === listener) this.listener = undefined;
      };
    }
    (this.moreListeners ??= new Set()).add(listener);
    return () => {
      this.moreListeners?.delete(listener);
    };
  }

  clear(): void {
    this.cancel();
    this.detach();
    this.listener = undefined;
    this.moreListeners = undefined;
  }

  /** Called by the parent's one listener (`attach`). */
  parentAborted(reason: unknown): void {
    this.cancel();
    this.stop(reason);
  }

  private fire(): void {
    this.timedOut = true;
    this.detach();
    this.stop(new DOMException(`The operation timed out after ${this.ms} ms.`, 'TimeoutError'));
  }

  private detach(): void {
    this.siblings?.delete(this);
  }

  private stop(reason: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.why = reason;
    this.controller?.abort(reason);
    const listener = this.listener;
    const more = this.moreListeners;
    this.listener = undefined;
    this.moreListeners = undefined;
    listener?.(reason);
    if (more) for (const l of more) l(reason);
  }
}

const noop = (): void => {};

/**
 * The `prepare` of a deadline whose signal many calls will listen to (a cell's evaluators, each
 * a judge's request, its retries…). It does nothing itself: the process clock
 * (config/process-clock.ts) replaces it with lifting Node's listener limit, which costs a few µs
 * a signal and so is not done for the deadlines of single calls.
 */
export const SHARED_SIGNAL = (_signal: AbortSignal): void => {};

/**
 * A deadline built on any cancellable timer; `prepare` is applied to its signal when one is
 * made (the process clock lifts the listener limit there).
 */
export function makeDeadline(
  ms: number,
  parent: AbortSignal | undefined,
  setTimer: (ms: number, fire: () => void) => () => void,
  prepare?: (signal: AbortSignal) => void,
): Deadline {
  return new TimerDeadline(ms, parent, setTimer, prepare);
}
