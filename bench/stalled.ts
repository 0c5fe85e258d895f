// Readers that stop reading (`npm run bench -- --only=stalled`): a run of cells with 9 MB
// outputs (code results may be up to 10 MB), then readers of its event stream that read the
// first 100 KB and stop, as a client that hangs (or means harm) does. Printed: the server's RSS
// rise over the first 2 s (the grace of the stalled-stream ledger, src/http/sse-stalls.ts),
// its peak, and its level at the end after a full collection, with the streams the server cut
// (from /metrics: a reader that stopped reading cannot see its stream close). Then readers that
// drop their stream after 1.5 s and stall a new one, for 12 s: they never wait past the grace,
// so only a bound on all stalled streams together holds them.
// BENCH_BIN=/other/checkout/bin/assay.js runs another build's server (a side-by-side).
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { rssMb } from './proc.js';
import { api, KEY, startServer, waitDone } from './servers.js';

const OUTPUT_CHARS = 9_000_000;
const READ_BYTES = 100_000;

/** A reader: asks for the events, reads READ_BYTES, then stops reading; `stalled` resolves then. */
function stalledReader(port: number, events: string): { stalled: Promise<void>; destroy(): void } {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  socket.write(`GET ${events} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nAccept: text/event-stream\r\n\r\n`);
  let read = 0;
  const stalled = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read >= READ_BYTES) {
        socket.pause();
        resolve();
      }
    });
    socket.once('close', () => resolve());
  });
  return { stalled, destroy: () => socket.destroy() };
}

/** Streams the server has cut for stalling, from its /metrics. */
async function cuts(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^assay_sse_streams_cut_total (\d+)/m.exec(text)?.[1] ?? NaN);
}

/** RSS after a full collection in the server (SIGUSR2, bench/gc-on-signal.mjs). */
async function collected(pid: number): Promise<number> {
  process.kill(pid, 'SIGUSR2');
  await sleep(1_000);
  return rssMb(pid);
}

/** RSS samples every 5 ms while `work` runs: the rise over `before` at its peak, and in the first `earlyMs`. */
async function sampled(pid: number, before: number, earlyMs: number, work: () => Promise<void>): Promise<{ early: number; peak: number }> {
  const start = performance.now();
  let early = 0;
  let peak = 0;
  const timer = setInterval(() => {
    const rise = rssMb(pid) - before;
    peak = Math.max(peak, rise);
    if (performance.now() - start <= earlyMs) early = Math.max(early, rise);
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { early, peak };
}

export async function stalledReadersBench(quick: boolean, print: (line: string) => void): Promise<void> {
  const rows = quick ? 12 : 30;
  const readers = quick ? 16 : 40;
  const server = await startServer({}, ['--expose-gc', '--import', pathToFileURL(path.join(import.meta.dirname, 'gc-on-signal.mjs')).href]);
  const port = Number(new URL(server.base).port);
  await api(server.base, 'POST', '/api/experiments', {
    slug: 'huge', name: 'huge',
    dataset: { rows: Array.from({ length: rows }, (_, i) => ({ q: `row-${i}` })) },
    targets: [{ id: 'big', type: 'code', code: `return row.q + ' ' + 'x'.repeat(${OUTPUT_CHARS})` }],
    execution: { concurrency: 2 },
  });
  const { runId } = await api(server.base, 'POST', '/api/experiments/huge/run', {});
  await waitDone(server.base, runId);
  const events = `/api/experiments/runs/${runId}/events`;
  print(`\nReaders that stop reading (${rows} cells of ${OUTPUT_CHARS / 1e6} MB; ${process.env.BENCH_BIN ?? 'this build'}): server RSS rise (MB) over the first 2 s / at the peak / at the end, after a full collection`);

  // Readers that read 100 KB and stop, held open for 8 s.
  const before = await collected(server.pid);
  const cutBefore = await cuts(server.base);
  const open: ReturnType<typeof stalledReader>[] = [];
  const once = await sampled(server.pid, before, 2_000, async () => {
    for (let i = 0; i < readers; i++) open.push(stalledReader(port, events));
    await Promise.all(open.map((r) => r.stalled));
    await sleep(8_000);
  });
  const end = (await collected(server.pid)) - before;
  print(`  ${readers} readers, held 8 s:`.padEnd(44) + `+${once.early.toFixed(0)} / +${once.peak.toFixed(0)} / +${end.toFixed(0)}   (${(await cuts(server.base)) - cutBefore} cut by the server)`);
  for (const r of open) r.destroy();
  await sleep(2_000);

  // Readers that drop their stream after 1.5 s (within the grace) and stall a new one, for 12 s.
  const before2 = await collected(server.pid);
  const cutBefore2 = await cuts(server.base);
  let connections = 0;
  const until = performance.now() + 12_000;
  const again = await sampled(server.pid, before2, 2_000, async () => {
    const loop = async () => {
      while (performance.now() < until) {
        const r = stalledReader(port, events);
        connections++;
        await r.stalled;
        await sleep(1_500);
        r.destroy();
      }
    };
    await Promise.all(Array.from({ length: readers }, loop));
  });
  const end2 = (await collected(server.pid)) - before2;
  print(`  ${readers} readers, a new stream every 1.5 s, 12 s:`.padEnd(44) + `+${again.early.toFixed(0)} / +${again.peak.toFixed(0)} / +${end2.toFixed(0)}   (${connections} streams, ${(await cuts(server.base)) - cutBefore2} cut by the server)`);
  await server.stop();
}
