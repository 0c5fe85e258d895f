// Connection caps and header/body timeouts on a real listener (cli/listen.ts), with raw sockets
// from several loopback addresses (127.0.0.x are all this machine on Linux).
import type { Server } from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { listen } from '../cli/listen.js';
import { type ConnectionLimits, connectionCounts } from './connections.js';

let server: Server | undefined;
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  if (server) {
    server.closeAllConnections();
    await new Promise((done) => server!.close(done));
    server = undefined;
  }
});

const LONG = 60_000;
let holding = 0;
let warnings: string[] = [];

async function serve(limits: Partial<ConnectionLimits>): Promise<number> {
  holding = 0;
  warnings = [];
  const app = new Hono();
  app.get('/ok', (c) => c.json({ ok: true }));
  // A request that stays open until its body ends: it holds its connection.
  app.post('/hold', async (c) => {
    holding++;
    // A connection the test cuts aborts the body: no answer is owed then.
    const text = await c.req.text().catch(() => '');
    return c.json({ length: text.length });
  });
  // The app takes its time before it reads: the body waits on the server's side.
  app.post('/late', async (c) => {
    await sleep(1_500);
    return c.json({ length: (await c.req.text()).length });
  });
  const bound = await listen(app.fetch, 0, '127.0.0.1', { max: 100, perClient: 0, trustedProxies: [], headersTimeoutMs: LONG, bodyIdleMs: LONG, bodyMinBytesPerSecond: 0, keepAliveTimeoutMs: 5_000, ...limits }, (line) => warnings.push(line));
  server = bound.server;
  return bound.port;
}

interface Raw {
  socket: net.Socket;
  /** Everything the server sent, once it closed the connection. */
  closed: Promise<string>;
}

function raw(port: number, from: string, text: string): Raw {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
  sockets.push(socket);
  socket.on('error', () => {});
  socket.write(text);
  let got = '';
  socket.on('data', (d) => (got += d.toString()));
  return { socket, closed: new Promise((resolve) => socket.on('close', () => resolve(got))) };
}

const hold = (port: number, from: string) => raw(port, from, 'POST /hold HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n');

async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(10);
}

function answer(text: string): { status: number; headers: string; body: unknown } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), headers: head, body: JSON.parse(body) };
}

describe('connection caps', () => {
  it('answers a connection over the per-address cap with 429, over the total cap with 503, and admits again once one closes', async () => {
    const port = await serve({ max: 5, perClient: 2 });
    const counted = { ...connectionCounts };
    const a = [hold(port, '127.0.0.2'), hold(port, '127.0.0.2')];
    await until(() => holding === 2);

    const third = answer(await raw(port, '127.0.0.2', 'GET /ok HTTP/1.1\r\nHost: x\r\n\r\n').closed);
    expect(third.status).toBe(429);
    expect(third.headers).toMatch(/\r\nRetry-After: 1\r\n/);
    expect(third.body).toEqual({ error: 'rate_limited', message: expect.stringContaining('open connections from this address: the limit is 2') });

    // Other addresses are not held back by the first one's cap.
    hold(port, '127.0.0.3');
    hold(port, '127.0.0.3');
    hold(port, '127.0.0.4');
    await until(() => holding === 5);
    // A client reads the refusal as any answer (fetch, from 127.0.0.1, which holds nothing).
    const busy = await fetch(`http://127.0.0.1:${port}/ok`);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(await busy.json()).toEqual({ error: 'server_busy', message: expect.stringContaining('limit of 5 open connections') });
    // The operator hears of it (a line a minute at most) and /metrics counts both.
    expect(warnings).toEqual([expect.stringMatching(/^refused connections: 1 over ASSAY_MAX_CONNECTIONS_PER_CLIENT \(2 from one address; .*\); the latest from 127\.0\.0\.2$/)]);
    expect(connectionCounts.refusedPerClient - counted.refusedPerClient).toBe(1);
    expect(connectionCounts.refusedServerBusy - counted.refusedServerBusy).toBe(1);

    // The held requests were never disturbed: one finishes its body and is answered.
    a[0]!.socket.end('0123456789');
    const finished = answer(await a[0]!.closed);
    expect([finished.status, finished.body]).toEqual([200, { length: 10 }]);
    // Its connection is given back once the server has seen it close.
    let status = 0;
    while (status !== 200) {
      status = answer(await raw(port, '127.0.0.2', 'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n').closed).status;
      if (status !== 200) await sleep(20);
    }
  });

  it('counts an IPv6 client by its /64', async () => {
    const { addressKey } = await import('./client-address.js');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb::9'));
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
    expect(addressKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
  });
});

describe('timeouts', () => {
  it('answers 408 when the headers do not arrive in time', async () => {
    const port = await serve({ headersTimeoutMs: 300 });
    const got = answer(await raw(port, '127.0.0.1', 'GET /ok HTTP/1.1\r\nHost: x\r\n').closed);
    expect(got.status).toBe(408);
    expect(got.body).toEqual({ error: 'request_timeout', message: expect.any(String) });
  });

  it('answers 408 when a body stops arriving, and keeps a slow one that never stops', async () => {
    const port = await serve({ bodyIdleMs: 1_000 });
    const stalled = raw(port, '127.0.0.1', 'POST /hold HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789');
    // A body of 40 pieces, 100 ms apart: four times the silence allowed, in all.
    const steady = raw(port, '127.0.0.1', 'POST /hold HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 400\r\nConnection: close\r\n\r\n');
    for (let i = 0; i < 40; i++) {
      await sleep(100);
      steady.socket.write('0123456789');
    }
    const cut = answer(await stalled.closed);
    expect(cut.status).toBe(408);
    expect(cut.body).toEqual({ error: 'request_timeout', message: 'No byte of the request body arrived for 1 s' });
    const whole = answer(await steady.closed);
    expect([whole.status, whole.body]).toEqual([200, { length: 400 }]);
  });

  it('answers 408 to a body that drips slower than the least rate, and keeps one that keeps up', async () => {
    // Allowed: 1 s, plus 10 ms for each byte received (100 bytes/s).
    const port = await serve({ bodyIdleMs: 1_000, bodyMinBytesPerSecond: 100 });
    const head = (length: number) => `POST /hold HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;
    // 5 bytes every 300 ms (≈ 17 bytes/s): never silent for the 1 s the idle check allows.
    const drip = raw(port, '127.0.0.1', head(1_000));
    // 50 bytes every 100 ms (500 bytes/s, five times the least rate), for 3 s.
    const steady = raw(port, '127.0.0.1', head(1_500));
    drip.socket.write('01234');
    const dripper = setInterval(() => drip.socket.write('01234'), 300);
    for (let i = 0; i < 30; i++) {
      steady.socket.write('0123456789'.repeat(5));
      await sleep(100);
    }
    const whole = answer(await steady.closed);
    expect([whole.status, whole.body]).toEqual([200, { length: 1_500 }]);
    const cut = answer(await drip.closed);
    clearInterval(dripper);
    expect(cut.status).toBe(408);
    expect(cut.body).toEqual({ error: 'request_timeout', message: expect.stringMatching(/^The request body arrived slower than 100 bytes\/s \(ASSAY_BODY_MIN_BYTES_PER_SECOND\): \d+ bytes in \d+\.\d s$/) });
  });

  it('does not count the time a body waits for the app to read it', async () => {
    // With a least rate too: 1.5 s of waiting for the app would be far below it.
    const port = await serve({ bodyIdleMs: 300, bodyMinBytesPerSecond: 1_000_000 });
    // 4 MB: more than the request and the sockets buffer, so the client is held back until the
    // app reads, 1.5 s later.
    const body = 'x'.repeat(4 * 1024 * 1024);
    const late = raw(port, '127.0.0.1', `POST /late HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    await sleep(50);
    late.socket.write(body);
    const got = answer(await late.closed);
    expect([got.status, got.body]).toEqual([200, { length: body.length }]);
  });
});
