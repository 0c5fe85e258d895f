// A reader that stops reading holds one write of memory, not a page (WriteFlow in
// app/runs/events.ts): when the socket is full the stream lets go of the page it was writing and
// reads on from the last event written once the socket drains. What a user sees is unchanged:
// a reader that resumes gets every event once, in order, with nothing missing.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../core/events.js';
import { listen, startTestAssay, type TestAssay } from '../testing/harness.js';
import { parseSse, waitForRun } from '../testing/runs.js';

let t: TestAssay;
let server: Awaited<ReturnType<typeof listen>>;
let runId: string;
const ROWS = 40;
const OUTPUT = 400_000;

beforeAll(async () => {
  t = await startTestAssay();
  server = await listen(t);
  const body = {
    slug: 'stalled', name: 'stalled', dataset: { rows: Array.from({ length: ROWS }, (_, i) => ({ q: `r${i}` })) },
    targets: [{ id: 'big', type: 'code', code: `return row.q + ':' + 'v'.repeat(${OUTPUT})` }],
  };
  expect((await t.req('POST', '/api/experiments', { body })).status).toBe(201);
  runId = ((await (await t.req('POST', '/api/experiments/stalled/run')).json()) as { runId: string }).runId;
  expect((await waitForRun(t, runId)).status).toBe('completed');
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

/** Opens the run's stream on a raw socket with a small receive buffer, and stops reading after the first bytes. */
function stalledStream(): { socket: net.Socket; resume(): Promise<string> } {
  const port = Number(new URL(server.url).port);
  const socket = net.connect({ port, host: '127.0.0.1' });
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
    socket.pause();
  });
  socket.write(`GET /api/experiments/runs/${runId}/events HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${t.key}\r\nAccept: text/event-stream\r\n\r\n`);
  return {
    socket,
    resume: () =>
      new Promise<string>((resolve, reject) => {
        socket.on('data', () => socket.resume());
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
        socket.resume();
      }),
  };
}

/** The SSE body of a chunked HTTP/1.1 response (the chunk sizes taken out). */
function bodyOf(raw: string): string {
  const head = raw.indexOf('\r\n\r\n');
  let rest = raw.slice(head + 4);
  let out = '';
  for (;;) {
    const line = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, line), 16);
    if (!size) break;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
  return out;
}

describe('a reader that stops reading', () => {
  it('gets every event once and in order when it reads again', async () => {
    const stalled = stalledStream();
    // Long enough for the server to fill the socket and reach the page it cannot write.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const { events, ids } = parseSse(bodyOf(await stalled.resume()));
    expect(ids.length).toBeGreaterThan(ROWS * 2);
    // Every seq from 1 to the last, each once.
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    const outputs = events.filter((e) => e.type === 'target_result').map((e) => (e as RunEvent & { output: string }).output);
    expect(outputs.sort()).toEqual(Array.from({ length: ROWS }, (_, i) => `r${i}:${'v'.repeat(OUTPUT)}`).sort());
    expect(events.at(-1)?.type).toBe('done');
  }, 60_000);

});
