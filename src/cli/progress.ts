// Progress of a run on the terminal: a bar when stdout is a TTY (cli-progress), otherwise a
// plain line at each 10% step, so CI logs stay short and readable. A run's event stream starts
// with a replay of what it already did (`assay watch` of a run at 86/200, `assay resume`, whose
// stream holds the executions before the resume): `liveProgress` folds that backlog into one
// update at the count the run was at, and the view measures cells/s from its first update on,
// so a rate is never computed over replayed events that arrive by the hundred a millisecond.
import cliProgress from 'cli-progress';
import type { StreamEvent } from '../client/index.js';

export interface ProgressView {
  update(completed: number, failed: number): void;
  /** What holds the run besides its cells (calls backing off); '' when nothing. */
  note(text: string): void;
  stop(): void;
}

/** A note that stays the same is written again at most this often, as a plain line. */
const NOTE_REPEAT_MS = 15_000;
/**
 * A plain line about calls backing off waits this long after the first: 429s come in bursts,
 * and the first line, written at the first refusal, said "1 call backing off" of the five.
 */
const NOTE_SETTLE_MS = 500;

/**
 * Cells a second since the first update: its count and time are the base (a run's backlog, or
 * its first cell), so only cells that completed while the view watched count. A count not above
 * the base (a new execution after a resume that retries errors starts lower) measures anew.
 * Undefined until there is something to measure.
 */
function rateMeter(now: () => number): (completed: number) => string | undefined {
  let base: { completed: number; at: number } | undefined;
  return (completed) => {
    if (base === undefined || completed <= base.completed) {
      base = { completed, at: now() };
      return undefined;
    }
    // Under a second, a burst (cells committed together, a stream read back from storage)
    // read as thousands a second.
    const seconds = (now() - base.at) / 1000;
    return seconds < 1 ? undefined : ((completed - base.completed) / seconds).toFixed(1);
  };
}

/** `write` carries the plain lines (a guarded output, when the reader may leave); the terminal bar writes to `out` itself. */
export function progressView(total: number, out: NodeJS.WriteStream = process.stdout, write: (text: string) => void = (text) => out.write(text), now: () => number = Date.now): ProgressView {
  const rate = rateMeter(now);
  if (out.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: '  {bar} {value}/{total} cells | {failed} failing | {rate} cells/s{note}', hideCursor: true, stream: out, fps: 10 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { failed: 0, rate: '-', note: '' });
    return {
      update: (completed, failed) => bar.update(completed, { failed, rate: rate(completed) ?? '-' }),
      note: (text) => bar.update({ note: text ? ` | ${text}` : '' }),
      stop: () => bar.stop(),
    };
  }
  let lastStep = -1;
  // CI logs: a line when calls start backing off, then at most one every NOTE_REPEAT_MS while
  // they go on backing off (waits that come and go must not fill the log).
  let lastNoteAt = -Infinity;
  let backingOffSince: number | undefined;
  return {
    note(text) {
      if (!text) {
        backingOffSince = undefined;
        return;
      }
      backingOffSince ??= now();
      if (now() - backingOffSince < NOTE_SETTLE_MS || now() - lastNoteAt < NOTE_REPEAT_MS) return;
      lastNoteAt = now();
      write(`  ${text}\n`);
    },
    update(completed, failed) {
      const cellsPerS = rate(completed);
      const step = total === 0 ? 10 : Math.floor((completed / total) * 10);
      if (step === lastStep) return;
      lastStep = step;
      write(`progress ${completed}/${total} (${total === 0 ? 100 : Math.round((completed / total) * 100)}%), ${failed} failing${cellsPerS === undefined ? '' : `, ${cellsPerS} cells/s`}\n`);
    },
    stop: () => {},
  };
}

/** Where the run was when the command looked, before following its stream from the start. */
export interface Backlog {
  /** The run was running: its stream goes live once the replay has reached `completed`. Otherwise it has ended, and the whole stream is a replay. */
  running: boolean;
  /** Its cells done then (GET /runs/{id} `progress`). */
  completed: number;
  /** The command resumed the run: every execution before a `resumed` event is history, whatever its counts. */
  resumed: boolean;
  /**
   * Where the stream's replay ends, when the server said so (`: replay-to SEQ`, set as each
   * connection opens): then the replay is told apart by seq, exactly, and nothing above is guessed.
   */
  replayTo?: number;
}

/**
 * The run's events with the replayed `progress` events folded into one: the others pass as they
 * come (the failing count and backoff notes are built from them), while progress events are held
 * back until the replay reaches the count the run was at — that one is passed (or, when the
 * replay jumps past it, an update at that count), then everything is live. A run that had ended
 * gets one update, its last count, when its stream ends.
 *
 * The count is that of the run's current execution: a `resumed` event starts the count again,
 * for a resume that retries errors lowers the run's progress below counts its history reached.
 * A server that says where its replay ends (`backlog.replayTo`) is followed exactly. With one
 * that does not (before 2026-12-06) one case stays approximate: watching a run whose current
 * execution follows such a resume and is still below the counts of the execution before: those
 * lines pass as live until the `resumed` event folds the rest again (docs/decisions.md,
 * "Progress of a replay").
 */
export async function* liveProgress(events: AsyncIterable<StreamEvent>, backlog: Backlog): AsyncGenerator<StreamEvent> {
  let live = false;
  let waitingForResume = backlog.resumed;
  /** The last replayed progress event, passed when the stream ends before going live. */
  let held: StreamEvent | undefined;
  for await (const event of events) {
    const replayTo = backlog.replayTo;
    if (replayTo !== undefined) {
      // Live-only events carry no seq (a cell starting, a retry scheduled): they pass as they come.
      if (!('seq' in event)) {
        yield event;
        continue;
      }
      if (event.seq > replayTo) {
        if (held) yield held;
        held = undefined;
        yield event;
        continue;
      }
      // Replayed: the count to show is the last of the current execution, passed where the replay ends.
      if (event.type === 'resumed') held = undefined;
      if (event.type === 'progress') held = event;
      if (event.seq === replayTo && held) {
        yield held;
        held = undefined;
      }
      if (event.type !== 'progress') yield event;
      continue;
    }
    if (event.type === 'resumed') {
      waitingForResume = false;
      // Live only from a count of the execution after it: what went before was a replay after all.
      live = false;
    }
    if (live || event.type !== 'progress') {
      yield event;
      continue;
    }
    if (!backlog.running || waitingForResume || event.completed < backlog.completed) {
      held = event;
      continue;
    }
    live = true;
    held = undefined;
    if (event.completed > backlog.completed && backlog.completed > 0) yield { ...event, completed: backlog.completed };
    yield event;
  }
  if (held) yield held;
}
