// The client against real HTTP servers on 127.0.0.1 that misbehave: a body that stalls after
// the headers, a body without end, error pages that are not Assay's, and event streams that are
// cut, refused for a while, silent or not made of events. Each must end in an error that says
// what happened (or, for a stream that can be picked up again, in the events), never in a hang.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, AssayClient, ConnectionLostError, NoAnswerError, NotAssayError, type RetryNotice, type StreamEvent, StreamLostError, UnreachableError } from './index.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void, port = 0): Promise<{ server: Server; base: string; port: number }> {
  const server = createServer((req, res) => {
    req.resume();
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return { server, base: `http://127.0.0.1:${bound}`, port: bound };
}

const sse = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });
const frame = (event: object, seq?: number) => `${seq !== undefined ? `id: ${seq}\n` : ''}data: ${JSON.stringify(seq !== undefined ? { ...event, seq } : event)}\n\n`;
const done = (seq: number) => frame({ type: 'done', summary: {} }, seq);

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const seen: StreamEvent[] = [];
  for await (const e of events) seen.push(e);
  return seen;
}

describe('answers within bounds', () => {
  it('a body that stalls after the status and headers ends at the request timeout, naming the endpoint and request', async () => {
    const { base } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"runId":');
    });
    const client = new AssayClient({ endpoint: base, requestTimeoutMs: 300 });
    const error = await client.getRun('run_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoAnswerError);
    expect((error as Error).message).toBe(`${base} started answering GET /api/experiments/runs/run_1 but did not finish within 0.3 s (the body stalled)`);
    const exported = await client.exportRun('run_1', 'junit').catch((e: unknown) => e);
    expect((exported as Error).message).toBe(`${base} started answering GET /api/experiments/runs/run_1/export but did not finish within 0.3 s (the body stalled)`);
  });

  it('an endless body is read up to the cap and refused, the rest never read', async () => {
    let sent = 0;
    const { base } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      // Writes as long as the client reads: it ends only when the client goes away.
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const client = new AssayClient({ endpoint: base, maxAnswerBytes: 1024 * 1024 });
    const error = await client.getRun('run_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotAssayError);
    expect((error as Error).message).toBe(`${base} did not answer like an Assay server (GET /api/experiments/runs/run_1 answered with more than 1 MiB; Assay's largest answers are tens of MiB)`);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('an export to a writer gets every chunk as it comes; a cut connection and a failing writer say which it was', async () => {
    const parts = ['<testsuites>', '<testcase name="a"/>'.repeat(50_000), '</testsuites>\n'];
    const { base } = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      if (req.url!.includes('run_cut')) {
        res.write(parts[0]);
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      for (const p of parts) res.write(p);
      res.end();
    });
    const client = new AssayClient({ endpoint: base });
    const chunks: Uint8Array[] = [];
    const bytes = await client.exportRunTo('run_1', 'junit', async (chunk) => void chunks.push(chunk));
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toBe(parts.join(''));
    expect(bytes).toBe(Buffer.byteLength(text));
    // The body arrived in pieces, each handed over as it came (not gathered first).
    expect(chunks.length).toBeGreaterThan(1);

    const cut = await client.exportRunTo('run_cut', 'junit', async () => {}).catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(ConnectionLostError);
    const full = new Error('ENOSPC: no space left on device');
    expect(await client.exportRunTo('run_1', 'junit', async () => Promise.reject(full)).catch((e: unknown) => e)).toBe(full);
  });

  it('a content-length past the default cap is refused before reading', async () => {
    const { base } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(4 * 1024 ** 3) });
      res.write('{');
    });
    const error = await new AssayClient({ endpoint: base }).getRun('run_1').catch((e: unknown) => e);
    expect((error as Error).message).toContain('answered with more than 256 MiB');
  });

  it('error answers: an HTML page and another JSON API are not Assay; an Assay error stays an ApiError', async () => {
    const { base } = await serve((req, res) => {
      if (req.url!.startsWith('/html')) res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad gateway</html>');
      else if (req.url!.startsWith('/other')) res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
      else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found","message":"Run not found: run_1"}');
    });
    const html = await new AssayClient({ endpoint: `${base}/html` }).getRun('run_1').catch((e: unknown) => e);
    expect(html).toBeInstanceOf(NotAssayError);
    expect((html as NotAssayError).status).toBe(502);
    expect((html as Error).message).toBe(`${base}/html did not answer like an Assay server (GET /api/experiments/runs/run_1 answered 502 with text/html, not an Assay error)`);
    const other = await new AssayClient({ endpoint: `${base}/other` }).getRun('run_1').catch((e: unknown) => e);
    expect((other as Error).message).toBe(`${base}/other did not answer like an Assay server (GET /api/experiments/runs/run_1 answered 404 with JSON that is not an Assay error)`);
    const assay = await new AssayClient({ endpoint: base }).getRun('run_1').catch((e: unknown) => e);
    expect(assay).toBeInstanceOf(ApiError);
    expect((assay as Error).message).toBe('404 Run not found: run_1');
  });
});

describe('the event stream', () => {
  it('data that is not an event is said to be so, not a JSON.parse message', async () => {
    const { base } = await serve((_req, res) => {
      sse(res);
      res.end('id: 1\ndata: not json\n\n');
    });
    const error = await collect(new AssayClient({ endpoint: base }).events('run_1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotAssayError);
    expect((error as Error).message).toBe(`${base} did not answer like an Assay server (its event stream GET /api/experiments/runs/run_1/events sent something that is not an Assay event: "not json")`);
  });

  it('a web page answering the stream is not taken for one', async () => {
    const { base } = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'));
    const error = await collect(new AssayClient({ endpoint: base }).events('run_1')).catch((e: unknown) => e);
    expect((error as Error).message).toContain('answered 200 with text/html, not an event stream');
  });

  it('a stream cut after every event is picked up again as often as it takes (24 connections)', async () => {
    let connections = 0;
    const { base } = await serve((req, res) => {
      connections++;
      const after = Number(req.headers['last-event-id'] ?? 0);
      sse(res);
      if (after >= 23) return void res.end(done(after + 1));
      // One event, then the connection is destroyed mid-stream (a proxy's cut: "terminated").
      res.write(frame({ type: 'progress', completed: after + 1, total: 24 }, after + 1), () => res.destroy());
    });
    const seen = await collect(new AssayClient({ endpoint: base }).events('run_1'));
    expect(seen.map((e) => ('seq' in e ? e.seq : 0))).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(connections).toBe(24);
  });

  it('a server that refuses connections for a while (a restart) is reconnected to with backoff, and the stream goes on', async () => {
    const first = await serve((_req, res) => {
      sse(res);
      res.write(frame({ type: 'progress', completed: 1, total: 2 }, 1), () => {
        res.destroy();
        // Down: the port refuses connections until the "restart" below.
        first.server.close();
        setTimeout(() => void serve((req, again) => {
          sse(again);
          again.end(done(Number(req.headers['last-event-id']) + 1));
        }, first.port), 1500);
      });
    });
    const notices: RetryNotice[] = [];
    const seen = await collect(new AssayClient({ endpoint: first.base }).events('run_1', { retryForMs: 60_000, onRetry: (n) => notices.push(n) }));
    expect(seen.map((e) => e.type)).toEqual(['progress', 'done']);
    expect(notices.length).toBeGreaterThan(0);
    expect(notices[0]!.error).toBeInstanceOf(UnreachableError);
    expect(notices[0]!.error.message).toBe(`Cannot reach ${first.base} (ECONNREFUSED)`);
    // Backoff: each wait at least as long as the one before, none above 5 s.
    const delays = notices.map((n) => n.delayMs);
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(Math.max(...delays)).toBeLessThanOrEqual(5000);
  });

  it('says when a connection opens again after failures, before any event comes', async () => {
    let connections = 0;
    let quiet: ServerResponse | undefined;
    const { base } = await serve((_req, res) => {
      connections++;
      // Two 503s (the server restarting), then a stream that sends nothing until told to.
      if (connections <= 2) return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"restarting"}');
      sse(res);
      res.flushHeaders();
      quiet = res;
    });
    const told: string[] = [];
    const seen = collect(new AssayClient({ endpoint: base }).events('run_1', { onRetry: (n) => told.push(`retry ${n.attempt}`), onOpen: () => told.push('open') }));
    await expect.poll(() => told).toEqual(['retry 1', 'retry 2', 'open']);
    quiet!.end(done(1));
    expect((await seen).map((e) => e.type)).toEqual(['done']);
  });

  it('gives up once connections have failed for longer than retryForMs, saying why', async () => {
    const { server, base } = await serve(() => {});
    server.close();
    const error = await collect(new AssayClient({ endpoint: base }).events('run_1', { retryForMs: 1000 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamLostError);
    expect((error as Error).message).toMatch(new RegExp(`^Lost the event stream of run run_1: Cannot reach ${base} \\(ECONNREFUSED\\); gave up after \\d+ attempts in \\d+ s$`));
  });

  it('a connection that goes silent (no event, no ping) is replaced by a new one', async () => {
    let connections = 0;
    const { base } = await serve((req, res) => {
      connections++;
      sse(res);
      if (connections === 1) return void res.write(frame({ type: 'progress', completed: 1, total: 2 }, 1));
      res.end(done(Number(req.headers['last-event-id']) + 1));
    });
    const seen = await collect(new AssayClient({ endpoint: base, streamSilenceMs: 300 }).events('run_1'));
    expect(seen.map((e) => e.type)).toEqual(['progress', 'done']);
    expect(connections).toBe(2);
  });
});

describe('where the replay ends', () => {
  it('is told as each connection opens, before its events: from the start, and again after a cut, from where it resumed', async () => {
    let connections = 0;
    const { base } = await serve((req, res) => {
      connections++;
      sse(res);
      if (connections === 1) {
        // Two events stored when it opened, a third live; then the connection is cut.
        res.write(': replay-to 2\n\n' + frame({ type: 'progress', completed: 1, total: 3 }, 1) + frame({ type: 'progress', completed: 2, total: 3 }, 2) + frame({ type: 'progress', completed: 3, total: 3 }, 3));
        setTimeout(() => res.destroy(), 50);
        return;
      }
      expect(req.headers['last-event-id']).toBe('3');
      res.end(': replay-to 4\n\n' + done(4));
    });
    const told: string[] = [];
    const client = new AssayClient({ endpoint: base });
    for await (const e of client.events('run_1', { onReplay: (to) => told.push(`replay to ${to}`) })) told.push(`${e.type} ${'seq' in e ? e.seq : ''}`);
    expect(told).toEqual(['replay to 2', 'progress 1', 'progress 2', 'progress 3', 'replay to 4', 'done 4']);
  });

  it('is not told by a server that does not say it, nor by a comment that only looks like it', async () => {
    const { base } = await serve((_req, res) => {
      sse(res);
      res.end(': ping\n\n' + frame({ type: 'progress', completed: 1, total: 1 }, 1) + ': replay-to 1\n\n' + done(2));
    });
    const told: number[] = [];
    const seen = await collect(new AssayClient({ endpoint: base }).events('run_1', { onReplay: (to) => told.push(to) }));
    expect(seen.map((e) => e.type)).toEqual(['progress', 'done']);
    // A replay mark after an event of the connection is no replay mark.
    expect(told).toEqual([]);
  });
});

describe('a cut after the final event', () => {
  it('ends the stream when the reconnect finds nothing more, instead of retrying until it gives up', async () => {
    let connections = 0;
    const { base } = await serve((_req, res) => {
      connections++;
      sse(res);
      // The run's last events, then the connection is cut before the server could close it.
      if (connections === 1) {
        res.write(frame({ type: 'progress', completed: 1, total: 1 }, 1) + done(2));
        setTimeout(() => res.destroy(), 50);
        return;
      }
      // Picked up after seq 2: the run ended there, and the server closes the stream with nothing to send.
      res.end();
    });
    const notices: RetryNotice[] = [];
    const seen = await collect(new AssayClient({ endpoint: base }).events('run_1', { retryForMs: 60_000, onRetry: (n) => notices.push(n) }));
    expect(seen.map((e) => e.type)).toEqual(['progress', 'done']);
    expect(connections).toBe(2);
    expect(notices).toEqual([]);
  });
});
