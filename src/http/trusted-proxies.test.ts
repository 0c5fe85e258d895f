// Behind a reverse proxy every client's TCP peer is the proxy. With the proxy named in
// ASSAY_TRUSTED_PROXIES, the failed-authentication throttle counts the client the proxy
// forwarded (X-Forwarded-For), and the proxy's connections are not one client's. Real
// listeners, with requests from several loopback addresses (127.0.0.x are all this machine);
// 127.0.0.2 plays the proxy.
import http from 'node:http';
import type { Server } from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { listen as listenApp } from '../cli/listen.js';
import { listen, startTestAssay, type TestAssay } from '../testing/harness.js';
import { AuthThrottle } from './auth-throttle.js';
import { clientAddresses } from './client-address.js';
import type { ConnectionLimits } from './connections.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Answer {
  status: number;
  body: unknown;
}

/** A GET from `from`, with extra headers, on a connection of its own. */
function get(port: number, path: string, from: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, localAddress: from, headers, agent: false }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? null : JSON.parse(text) }));
      })
      .on('error', reject);
  });
}

async function serveWho(trustedProxies: string[]): Promise<number> {
  const throttle = new AuthThrottle(1, clientAddresses(trustedProxies));
  const app = new Hono();
  app.get('/who', (c) => c.json({ address: throttle.address(c) }));
  const limits: ConnectionLimits = { max: 100, perClient: 0, trustedProxies, headersTimeoutMs: 60_000, bodyIdleMs: 60_000, bodyMinBytesPerSecond: 0, keepAliveTimeoutMs: 5_000 };
  const { server, port } = await listenApp(app.fetch, 0, '127.0.0.1', limits);
  closers.push(() => closeServer(server));
  return port;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((done) => server.close(() => done()));
}

describe('the client behind a trusted proxy', () => {
  it('is the address the proxy forwarded; anything else believes only the TCP peer', async () => {
    const port = await serveWho(['127.0.0.2', 'uniquelocal']);
    const who = async (from: string, forwarded?: string) => {
      const answer = await get(port, '/who', from, forwarded === undefined ? {} : { 'x-forwarded-for': forwarded });
      return (answer.body as { address: string }).address;
    };
    expect(await who('127.0.0.2', '203.0.113.7')).toBe('203.0.113.7');
    // What the client wrote into the header itself is on the left; the proxy appended the peer it saw.
    expect(await who('127.0.0.2', '198.51.100.1, 203.0.113.9')).toBe('203.0.113.9');
    // A chain of trusted proxies (a private load balancer behind the edge) is walked through.
    expect(await who('127.0.0.2', '203.0.113.9, 10.1.2.3')).toBe('203.0.113.9');
    expect(await who('127.0.0.2', '2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    // No header, or none that names an address: the proxy itself.
    expect(await who('127.0.0.2')).toBe('127.0.0.2');
    expect(await who('127.0.0.2', 'not-an-address')).toBe('127.0.0.2');
    // A peer that is no trusted proxy cannot choose its address.
    expect(await who('127.0.0.3', '203.0.113.7')).toBe('127.0.0.3');
  });

  it('without ASSAY_TRUSTED_PROXIES, X-Forwarded-For is not believed from anyone', async () => {
    const port = await serveWho([]);
    expect((await get(port, '/who', '127.0.0.2', { 'x-forwarded-for': '203.0.113.7' })).body).toEqual({ address: '127.0.0.2' });
  });
});

describe('the failed-authentication throttle behind a proxy', () => {
  async function server(trustedProxies: string[]): Promise<{ t: TestAssay; port: number }> {
    const t = await startTestAssay({ authFailuresPerMinute: 3, trustedProxies });
    closers.push(() => t.close());
    const bound = await listen(t);
    closers.push(() => bound.close());
    return { t, port: Number(new URL(bound.url).port) };
  }

  /** One client's request through the proxy at 127.0.0.2. */
  const through = (port: number, client: string, key: string) =>
    get(port, '/api/datasets', '127.0.0.2', { 'x-forwarded-for': client, 'x-auth-token': key });

  const WRONG = `sk-lw-${'x'.repeat(40)}`;

  it('blocks the client that guessed, not every client of the proxy', async () => {
    const { t, port } = await server(['127.0.0.2']);
    for (let i = 0; i < 3; i++) expect((await through(port, '203.0.113.66', WRONG)).status).toBe(401);
    expect((await through(port, '203.0.113.66', WRONG)).status).toBe(429);
    // The guesser is blocked even with a good key; another client of the same proxy is not.
    expect((await through(port, '203.0.113.66', t.key)).status).toBe(429);
    expect((await through(port, '203.0.113.7', t.key)).status).toBe(200);
  });

  it('without the setting, every client of the proxy is one address and is blocked together', async () => {
    const { t, port } = await server([]);
    for (let i = 0; i < 3; i++) await through(port, '203.0.113.66', WRONG);
    expect((await through(port, '203.0.113.66', WRONG)).status).toBe(429);
    expect((await through(port, '203.0.113.7', t.key)).status).toBe(429);
  });
});

describe('connections from a trusted proxy', () => {
  async function serveHolding(trustedProxies: string[]): Promise<number> {
    const app = new Hono();
    app.get('/ok', (c) => c.json({ ok: true }));
    const limits: ConnectionLimits = { max: 100, perClient: 2, trustedProxies, headersTimeoutMs: 60_000, bodyIdleMs: 60_000, bodyMinBytesPerSecond: 0, keepAliveTimeoutMs: 5_000 };
    const { server, port } = await listenApp(app.fetch, 0, '127.0.0.1', limits);
    closers.push(() => closeServer(server));
    return port;
  }

  /** Opens a connection from `from` that sends half a request and holds it; resolves once the server has it. */
  async function hold(port: number, from: string): Promise<net.Socket> {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    closers.push(() => void socket.destroy());
    socket.on('error', () => {});
    await new Promise((done) => socket.once('connect', done));
    socket.write('GET /ok HTTP/1.1\r\nHost: x\r\n');
    return socket;
  }

  it('are not capped per address: the proxy carries many clients', async () => {
    const port = await serveHolding(['127.0.0.2']);
    for (let i = 0; i < 4; i++) await hold(port, '127.0.0.2');
    for (let i = 0; i < 2; i++) await hold(port, '127.0.0.3');
    await sleep(100);
    expect((await get(port, '/ok', '127.0.0.2')).status).toBe(200);
    // Any other address still has its cap.
    expect((await get(port, '/ok', '127.0.0.3')).status).toBe(429);
  });
});

describe('ASSAY_KEEP_ALIVE_TIMEOUT_MS', () => {
  async function serveOk(keepAliveTimeoutMs: number, headersTimeoutMs = 60_000): Promise<number> {
    const app = new Hono();
    app.get('/ok', (c) => c.json({ ok: true }));
    const limits: ConnectionLimits = { max: 100, perClient: 0, trustedProxies: [], headersTimeoutMs, bodyIdleMs: 60_000, bodyMinBytesPerSecond: 0, keepAliveTimeoutMs };
    const { server, port } = await listenApp(app.fetch, 0, '127.0.0.1', limits);
    closers.push(() => closeServer(server));
    return port;
  }

  /** A keep-alive connection that has made one request; `closedAt` resolves when the server closes it. */
  async function kept(port: number): Promise<{ socket: net.Socket; closedAt: Promise<number>; answers: () => number }> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    closers.push(() => void socket.destroy());
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const closedAt = new Promise<number>((done) => socket.once('close', () => done(performance.now())));
    socket.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
    const answers = () => text.split('HTTP/1.1 200').length - 1;
    while (answers() < 1) await sleep(10);
    return { socket, closedAt, answers };
  }

  it('keeps an idle connection open that long, past Node’s default, and it serves the next request', async () => {
    // Node closes an idle connection ≈ 1 s after its keep-alive timeout (5 s by default).
    // Headers must still arrive within 1 s of a request starting, not of the connection's last one.
    const port = await serveOk(10_000, 1_000);
    const { socket, answers } = await kept(port);
    await sleep(7_000);
    expect(socket.destroyed).toBe(false);
    socket.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
    while (answers() < 2) await sleep(10);
    expect(answers()).toBe(2);
  }, 20_000);

  it('closes an idle connection after it', async () => {
    const port = await serveOk(1_000);
    const { closedAt } = await kept(port);
    const idleFrom = performance.now();
    // Closed by the server well before Node's default of 5 s.
    expect(await Promise.race([closedAt.then((at) => at - idleFrom), sleep(4_000).then(() => Infinity)])).toBeLessThan(4_000);
  }, 10_000);
});
