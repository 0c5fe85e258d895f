// Progress of a run on the terminal: a bar when stdout is a TTY (cli-progress), otherwise a
// plain line at each 10% step, so CI logs stay short and readable.
import cliProgress from 'cli-progress';

export interface ProgressView {
  update(completed: number, failed: number): void;
  /** What holds the run besides its cells (calls backing off); '' when nothing. */
  note(text: string): void;
  stop(): void;
}

/** A note that stays the same is written again at most this often, as a plain line. */
const NOTE_REPEAT_MS = 15_000;

/** `write` carries the plain lines (a guarded output, when the reader may leave); the terminal bar writes to `out` itself. */
export function progressView(total: number, out: NodeJS.WriteStream = process.stdout, write: (text: string) => void = (text) => out.write(text), now: () => number = Date.now): ProgressView {
  const started = now();
  const rate = (n: number) => (n / Math.max(0.001, (now() - started) / 1000)).toFixed(1);
  if (out.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: '  {bar} {value}/{total} cells | {failed} failing | {rate} cells/s{note}', hideCursor: true, stream: out, fps: 10 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { failed: 0, rate: '0.0', note: '' });
    return {
      update: (completed, failed) => bar.update(completed, { failed, rate: rate(completed) }),
      note: (text) => bar.update({ note: text ? ` | ${text}` : '' }),
      stop: () => bar.stop(),
    };
  }
  let lastStep = -1;
  // CI logs: a line when calls start backing off, then at most one every NOTE_REPEAT_MS while
  // they go on backing off (waits that come and go must not fill the log).
  let lastNoteAt = -Infinity;
  return {
    note(text) {
      if (!text || now() - lastNoteAt < NOTE_REPEAT_MS) return;
      lastNoteAt = now();
      write(`  ${text}\n`);
    },
    update(completed, failed) {
      const step = total === 0 ? 10 : Math.floor((completed / total) * 10);
      if (step === lastStep) return;
      lastStep = step;
      write(`progress ${completed}/${total} (${total === 0 ? 100 : Math.round((completed / total) * 100)}%), ${failed} failing, ${rate(completed)} cells/s\n`);
    },
    stop: () => {},
  };
}
