// The CLI's standard output when its reader may leave early: `assay run … | head -1` closes the
// pipe after one line, and each later write then fails with EPIPE — an unhandled 'error' event
// that crashed the command with a stack trace before it could write its reports or give the
// run's verdict as its exit code. Every command that prints goes through it (run, compare,
// push, the admin commands, demo).

export interface Output {
  /** Writes `text` unless the reader has gone. */
  write(text: string): void;
  /** True once a write failed: nothing more will be read, so progress need not be written. */
  readonly closed: boolean;
}

/** One guard a stream: every command and module that prints shares whether the reader left. */
const guards = new WeakMap<NodeJS.WritableStream, Output>();

export function guardOutput(out: NodeJS.WritableStream): Output {
  const known = guards.get(out);
  if (known) return known;
  let closed = false;
  // Any write error (EPIPE, or a terminal that went away) means no one reads us any more; the
  // command still finishes its work, and its exit code still tells the caller the result.
  out.on('error', () => {
    closed = true;
  });
  const guard: Output = {
    write(text) {
      if (!closed) out.write(text);
    },
    get closed() {
      return closed;
    },
  };
  guards.set(out, guard);
  return guard;
}
