// Progress of a run on the terminal: a bar when stdout is a TTY (cli-progress), otherwise a
// plain line at each 10% step, so CI logs stay short and readable.
import cliProgress from 'cli-progress';

export interface ProgressView {
  update(completed: number, failed: number): void;
  stop(): void;
}

/** `write` carries the plain lines (a guarded output, when the reader may leave); the terminal bar writes to `out` itself. */
export function progressView(total: number, out: NodeJS.WriteStream = process.stdout, write: (text: string) => void = (text) => out.write(text)): ProgressView {
  const started = Date.now();
  const rate = (n: number) => (n / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1);
  if (out.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: '  {bar} {value}/{total} cells | {failed} failing | {rate} cells/s', hideCursor: true, stream: out, fps: 10 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { failed: 0, rate: '0.0' });
    return {
      update: (completed, failed) => bar.update(completed, { failed, rate: rate(completed) }),
      stop: () => bar.stop(),
    };
  }
  let lastStep = -1;
  return {
    update(completed, failed) {
      const step = total === 0 ? 10 : Math.floor((completed / total) * 10);
      if (step === lastStep) return;
      lastStep = step;
      write(`progress ${completed}/${total} (${total === 0 ? 100 : Math.round((completed / total) * 100)}%), ${failed} failing, ${rate(completed)} cells/s\n`);
    },
    stop: () => {},
  };
}
