// Limits of template rendering (./templates.ts). Rendering is synchronous and holds up the
// whole server while it runs, so a target call renders all its templates in one turn: they
// share one budget of the thread's time (wall time less any wait for a CPU), of characters
// Liquid allocates in filters and loops, and of characters written; and between turns the process yields to the event loop once it has
// rendered for a while. A runaway template then holds up the server for at most one turn's
// time limit, whatever the run's concurrency. Real prompts and bodies render in well under a
// millisecond. See test/hostile/templates.test.ts.
import { type Emitter, toValue } from 'liquidjs';
import { threadWaitMs } from './thread-wait.js';

/**
 * Limits of one turn (every template of one target call, or one render outside a turn): the
 * thread's time (see MAX_TURN_WALL_MS), characters Liquid allocates in filters and loops, and characters written. Output
 * counts because it is kept while the call is in flight: a loop repeating a large column could
 * otherwise build hundreds of MB per cell and, over concurrent cells, exhaust the heap.
 */
export const RENDER_LIMITS = { timeMs: 100, memory: 50_000_000, outputChars: 10_000_000 } as const;
/** Render time after which the process lets other work run before the next turn. */
const SLICE_MS = 20;
/**
 * The time limit counts the thread's own time: time it waited for a CPU (a loaded machine)
 * moves the deadline on, up to this much wall time a turn. Read from Linux once the deadline is
 * passed, against a reading taken at most WAIT_READ_EVERY_MS before the turn began (one read
 * per turn would cost a few µs on every target call). thread-wait.ts says why.
 */
// The cap bounds how long a runaway template holds a starved main thread in wall time (its CPU
// stays 100 ms): on a machine loaded enough to give the thread 5% of a core, 100 ms of CPU
// would take 2 s anyway, and a normal render waits 100–250 ms at worst.
const MAX_TURN_WALL_MS = 2_000;
const WAIT_READ_EVERY_MS = 5;

/** The last reading of the thread's CPU wait (ms; undefined where unknown) and when it was taken. */
let lastWait: { at: number; waited: number | undefined } = { at: -Infinity, waited: undefined };

/** The limits of the running turn, in the shape of Liquid's Limiter (`use` counts, `check` compares). */
export class TurnLimits {
  private allocated = 0;
  private written = 0;
  private readonly started = performance.now();
  private deadline = this.started + RENDER_LIMITS.timeMs;
  /** The thread's CPU wait read before this turn began (at most WAIT_READ_EVERY_MS before). */
  private readonly waitBefore = this.started - lastWait.at > WAIT_READ_EVERY_MS ? (lastWait = { at: this.started, waited: threadWaitMs() }) : lastWait;
  readonly memory = {
    use: (count: number): void => {
      if (+count > 0 && (this.allocated += +count) > RENDER_LIMITS.memory) throw new Error('memory alloc limit exceeded');
    },
    check: (): void => undefined,
  };
  readonly time = {
    use: (): void => undefined,
    check: (now: number): void => {
      if (+now > this.deadline) this.pastDeadline(+now);
    },
  };

  /** Past the deadline: on, if the thread waited for a CPU meanwhile (and not past the wall-time cap); else the render stops. */
  private pastDeadline(now: number): void {
    const waited = threadWaitMs();
    const before = this.waitBefore.waited;
    if (waited !== undefined && before !== undefined) {
      // At least this much of the wait fell within the turn (the reading may predate its start).
      const inTurn = Math.max(0, waited - before - (this.started - this.waitBefore.at));
      this.deadline = Math.min(this.started + MAX_TURN_WALL_MS, this.started + RENDER_LIMITS.timeMs + inTurn);
      if (now <= this.deadline) return;
    }
    throw new Error('template render limit exceeded');
  }
  /** JSON lengths of the objects this turn wrote as typed values (one column may be written many times). */
  private readonly jsonLengths = new WeakMap<object, number>();

  write(chars: number): void {
    if ((this.written += chars) > RENDER_LIMITS.outputChars) throw new Error(`template output limit exceeded (${RENDER_LIMITS.outputChars} characters)`);
  }

  /** Counts a typed value written into a JSON body as its JSON text. */
  writeValue(value: unknown): void {
    if (typeof value === 'string') return this.write(value.length);
    if (value === null || typeof value !== 'object') return;
    let length = this.jsonLengths.get(value);
    if (length === undefined) {
      length = JSON.stringify(value)?.length ?? 0;
      this.jsonLengths.set(value, length);
    }
    this.write(length);
  }
}

/** Limits of the turn running now (rendering is synchronous, so one slot is enough). */
let turn: TurnLimits | undefined;
/** Milliseconds rendered since the process last yielded to the event loop for templates. */
let renderedSinceYield = 0;
let yielding: Promise<void> | undefined;
/** The real setImmediate, kept even if a test later installs fake timers. */
const immediate = globalThis.setImmediate;

/** The running turn's limits, or fresh ones for a render outside a turn. */
export function currentLimits(): TurnLimits {
  return turn ?? new TurnLimits();
}

/**
 * Runs one synchronous render under the running turn's limits, or under fresh ones installed
 * for its duration (a render outside `renderTurn`), so nested buffers (`capture`) share them.
 */
export function withinTurn<T>(render: (limits: TurnLimits) => T): T {
  if (turn) return render(turn);
  turn = new TurnLimits();
  try {
    return render(turn);
  } finally {
    turn = undefined;
  }
}

/** Liquid's own emitter, counting what it writes against the turn's output limit. */
export class BoundedEmitter implements Emitter {
  buffer = '';
  constructor(private readonly limits: TurnLimits) {}
  write(html: unknown): void {
    const text = emittedText(html);
    this.limits.write(text.length);
    this.buffer += text;
  }
}

/** The text Liquid's emitter writes for a value (also what the simple-template path writes). */
export function emittedText(html: unknown): string {
  const value = toValue(html) as unknown;
  return typeof value === 'string' ? value : value === null || value === undefined ? '' : Array.isArray(value) ? value.map((v) => String(toValue(v) ?? '')).join('') : String(value);
}

/**
 * Runs one target call's template work: its renders share one set of limits, and when the
 * process has rendered for SLICE_MS without a break it first yields to the event loop. A
 * runaway template then holds up the server for at most one turn's time limit, whatever the
 * run's concurrency, and requests are served between turns.
 */
export async function renderTurn<T>(work: () => T): Promise<T> {
  while (renderedSinceYield >= SLICE_MS) {
    // Two immediates: the second is queued from the check phase, so it runs only after the
    // event loop has polled for I/O (requests, timers) once more.
    yielding ??= new Promise<void>((resolve) =>
      immediate(() =>
        immediate(() => {
          renderedSinceYield = 0;
          yielding = undefined;
          resolve();
        }),
      ),
    );
    await yielding;
  }
  const started = performance.now();
  const previous = turn;
  turn = new TurnLimits();
  try {
    return work();
  } finally {
    turn = previous;
    renderedSinceYield += performance.now() - started;
  }
}
