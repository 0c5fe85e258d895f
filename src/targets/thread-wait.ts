// How long this thread has waited for a CPU, from Linux's per-thread scheduler figures
// (/proc/thread-self/schedstat: time run, time waited, in ns). The template render limit
// (render-turn.ts) bounds what a template holds the server for, which is CPU, not time spent
// runnable but waiting on a loaded machine: on a shared 2-core CI box the main thread can wait
// 100–250 ms for a CPU in the middle of a render that needs well under a millisecond, and the
// cell then failed as a runaway template. Read through one open descriptor (a pread of a few
// µs; reopening the file costs ≈ 40). Elsewhere (no such file) the answer is undefined, and the
// limit stays wall time.
import { openSync, readSync } from 'node:fs';

const SCHEDSTAT = '/proc/thread-self/schedstat';

/** The open figures (of the thread that first asked: templates render on the main thread only); null where there are none. */
let fd: number | null | undefined;
const buffer = Buffer.alloc(96);

/** Milliseconds this thread has waited for a CPU since it started, or undefined where unknown. */
export function threadWaitMs(): number | undefined {
  if (fd === undefined) {
    try {
      fd = openSync(SCHEDSTAT, 'r');
    } catch {
      fd = null;
    }
  }
  if (fd === null) return undefined;
  try {
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.toString('latin1', 0, read);
    const from = text.indexOf(' ') + 1;
    const waited = Number(text.slice(from, text.indexOf(' ', from)));
    return from > 0 && Number.isFinite(waited) ? waited / 1e6 : undefined;
  } catch {
    return undefined;
  }
}
