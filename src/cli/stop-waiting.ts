// When `assay run` stops waiting before its run ends: --timeout ran out, or the user pressed
// Ctrl-C (or a CI runner sent SIGTERM). Either aborts one signal that every request of the run
// command carries, so a wait anywhere — the start, the event stream, the final reads — ends.
// The run itself goes on on the server; the command only stops watching it.

/** Why the command stopped waiting. */
export type StopCause = { kind: 'timeout'; seconds: number } | { kind: 'signal'; signal: NodeJS.Signals };

export interface StopWaiting {
  /** Aborted once the command should stop waiting. */
  signal: AbortSignal;
  /** Why it stopped, once it has. */
  cause(): StopCause | undefined;
  /** Disarms the timer and gives the signals back to Node's defaults. */
  dispose(): void;
}

/** Exit code after a signal: 128 + its number, as shells report a process a signal ended. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

/**
 * Arms the --timeout clock now (before the first request, so a server that never answers the
 * start counts against it) and catches SIGINT and SIGTERM. A signal after the command already
 * stopped exits at once, in case what hangs is something the abort does not reach.
 */
export function stopWaiting(timeoutS: number | undefined): StopWaiting {
  const controller = new AbortController();
  let cause: StopCause | undefined;
  const stop = (why: StopCause) => {
    if (cause !== undefined) return;
    cause = why;
    controller.abort();
  };
  const timer = timeoutS === undefined ? undefined : setTimeout(() => stop({ kind: 'timeout', seconds: timeoutS }), timeoutS * 1000);
  const onSignal = (signal: NodeJS.Signals) => {
    if (cause !== undefined) process.exit(signalExitCode(signal));
    stop({ kind: 'signal', signal });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    cause: () => cause,
    dispose() {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
