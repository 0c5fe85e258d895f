// A client that goes away in the middle of its upload (hostile-input review): it used to be
// logged as an "unhandled error" with a stack and counted as a 500 in /metrics, so a flaky
// network looked like a server bug on dashboards. Now it is one info line, "client went away",
// counted under 499 (nginx's status for the same thing), and nothing is stored. Found on the
// way: when the socket closed before the server began reading, the body read as empty and
// complete, so an abandoned CSV upload was stored as an empty dataset.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger } from '../testing/capture-logger.js';
import { listen, startTestAssay, type TestAssay } from '../testing/harness.js';
import { parsePrometheusText } from '../testing/prom-text.js';

const logger = capturingLogger();
const lines = logger.lines;

let t: TestAssay;
let server: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  t = await startTestAssay({}, undefined, { logger });
  server = await listen(t);
});
afterAll(async () => {
  await server.close();
  await t.close();
});

/**
 * Sends the request line, headers announcing a 100 KB body (or a chunked one) and the first part
 * of the body over a raw socket, then closes it, as a client whose connection drops mid-upload.
 */
async function abandonUpload(path: string, contentType: string, partial: string, framing: 'length' | 'chunked', closeAfterMs: number): Promise<void> {
  const { port } = new URL(server.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const length = framing === 'length' ? 'Content-Length: 100000' : 'Transfer-Encoding: chunked';
  const head = [`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, `X-Auth-Token: ${t.key}`, `Content-Type: ${contentType}`, length, '', ''].join('\r\n');
  // A chunked body: one chunk, and never the empty chunk that ends it.
  const body = framing === 'length' ? partial : `${Buffer.byteLength(partial).toString(16)}\r\n${partial}\r\n`;
  await new Promise<void>((resolve) => socket.write(head + body, () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, closeAfterMs));
  socket.destroy();
}

/** Polls until `check` holds (the server notices the close asynchronously). */
async function eventually(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** POSTs to `route` counted in /metrics, by status. */
async function requestsByStatus(route: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const s of parsePrometheusText(text).samples) {
    if (s.name === 'assay_http_requests_total' && s.labels.route === route && s.labels.method === 'POST') counts[s.labels.status!] = (counts[s.labels.status!] ?? 0) + s.value;
  }
  return counts;
}

describe('a client that closes its connection mid-upload', () => {
  const bodies = [
    ['a CSV dataset upload', 'text/csv', 'question,expected\nhello,hi\n', 'length'],
    ['a chunked CSV dataset upload', 'text/csv', 'question,expected\nhello,hi\n', 'chunked'],
    ['a JSON dataset upload', 'application/json', '{"name":"gone","rows":[{"q":"hello"},', 'length'],
  ] as const;
  // At once: the socket is gone before the server reads the body. After 100 ms: while it reads.
  for (const closeAfterMs of [0, 100]) {
    for (const [name, contentType, partial, framing] of bodies) {
      it(`${name}, closed after ${closeAfterMs} ms: logged as "client went away" at info, counted as 499, nothing stored`, async () => {
        lines.length = 0;
        const before = await requestsByStatus('/api/datasets');
        await abandonUpload('/api/datasets?name=gone', contentType, partial, framing, closeAfterMs);
        await eventually(async () => Object.values(await requestsByStatus('/api/datasets')).reduce((a, b) => a + b, 0) > Object.values(before).reduce((a, b) => a + b, 0));
        const after = await requestsByStatus('/api/datasets');
        expect(after).toEqual({ ...before, 499: (before['499'] ?? 0) + 1 });

        expect(lines.filter((l) => l.level === 'error' || l.level === 'warn')).toEqual([]);
        const gone = lines.filter((l) => l.msg === 'client went away');
        expect(gone).toHaveLength(1);
        expect(gone[0]!.level).toBe('info');
        expect(gone[0]!.obj).toEqual({ method: 'POST', path: '/api/datasets', client: '127.0.0.1', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });

        const list = (await (await t.req('GET', '/api/datasets')).json()) as { datasets: unknown[] };
        expect(list.datasets).toEqual([]);
      });
    }
  }

  it('a full upload on the same server still succeeds (the abort is not sticky)', async () => {
    const res = await fetch(`${server.url}/api/datasets?name=whole`, { method: 'POST', headers: { 'x-auth-token': t.key, 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
    expect(res.status).toBe(201);
  });
});
