// ASSAY_ACCESS_LOG: a line per request once answered, naming the client (behind a trusted
// proxy, the address it forwarded), and the auth throttle's blocks in the log. Real listener,
// requests from several loopback addresses (127.0.0.2 plays the proxy); the log lines are what
// the server's logger was handed.
import http from 'node:http';
import net from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { capturingLogger, type LogLine as Line } from '../testing/capture-logger.js';
import { listen, startTestAssay, type TestAssay } from '../testing/harness.js';
import { startRun, waitForRun } from '../testing/runs.js';
import { clientAddresses } from './client-address.js';
import { makeErrorHandler } from './errors.js';
import { requestIds } from './request-id.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function serve(accessLog: boolean, extra: Record<string, unknown> = {}): Promise<{ t: TestAssay; port: number; lines: Line[] }> {
  const lines: Line[] = [];
  const t = await startTestAssay({ accessLog, trustedProxies: ['127.0.0.2'], ...extra }, undefined, { logger: capturingLogger(lines) });
  const server = await listen(t);
  closers.push(() => t.close(), () => server.close());
  return { t, port: Number(new URL(server.url).port), lines };
}

/** A GET from `from` on a connection of its own; resolves with the status once the body is read. */
async function get(port: number, path: string, from: string, headers: Record<string, string>): Promise<number> {
  return (await answered(port, path, from, headers)).status;
}

function answered(port: number, path: string, from: string, headers: Record<string, string>): Promise<{ status: number; requestId: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, localAddress: from, headers, agent: false }, (res) => {
        res.resume();
        const id = res.headers['x-request-id'];
        res.on('end', () => resolve({ status: res.statusCode ?? 0, requestId: typeof id === 'string' ? id : undefined }));
      })
      .on('error', reject);
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The access lines, once `count` of them are written (a line follows the answer's last byte). */
async function requestLines(lines: Line[], count: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 200 && lines.filter((l) => l.msg === 'request').length < count; i++) await new Promise((r) => setTimeout(r, 10));
  return lines.filter((l) => l.msg === 'request').map((l) => l.obj);
}

describe('the access log', () => {
  it('names the client the trusted proxy forwarded, the proxy as peer, and no query or key', async () => {
    const { t, port, lines } = await serve(true);
    expect(await get(port, '/api/experiments', '127.0.0.2', { 'x-auth-token': t.key, 'x-forwarded-for': '203.0.113.7' })).toBe(200);
    expect(await get(port, `/api/experiments/sk-lw-${'x'.repeat(40)}`, '127.0.0.3', { 'x-forwarded-for': '203.0.113.8' })).toBe(401);
    expect(await get(port, '/api/experiments?token=hunter2', '127.0.0.3', { 'x-auth-token': t.key })).toBe(400);
    const [listed, refused, queried] = await requestLines(lines, 3);
    expect(listed).toMatchObject({ method: 'GET', path: '/api/experiments', route: '/api/experiments', status: 200, client: '203.0.113.7', peer: '127.0.0.2', project: t.projectId, complete: true });
    expect(typeof listed!.ms).toBe('number');
    // A peer that is no trusted proxy is its own client, whatever it forwards; no project authenticated.
    expect(refused).toMatchObject({ status: 401, client: '127.0.0.3', project: undefined });
    expect(refused!.peer).toBeUndefined();
    expect(refused!.path).toBe('/api/experiments/sk-lw-…');
    expect(queried).toMatchObject({ path: '/api/experiments', status: 400, project: t.projectId });
    expect(JSON.stringify(lines)).not.toContain('hunter2');
    expect(lines.every((l) => l.level === 'info')).toBe(true);
  });

  it('logs a stream when it ends, and whether the client had all of it', async () => {
    const { t, port, lines } = await serve(true);
    const body = {
      slug: 'big', name: 'big', dataset: { rows: Array.from({ length: 40 }, (_, i) => ({ q: `r${i}` })) },
      targets: [{ id: 'big', type: 'code', code: `return row.q + ':' + 'v'.repeat(400000)` }],
    };
    expect((await t.req('POST', '/api/experiments', { body })).status).toBe(201);
    const runId = await startRun(t, 'big');
    expect((await waitForRun(t, runId)).status).toBe('completed');
    const events = `/api/experiments/runs/${runId}/events`;
    // The requests above were made in process (no socket, no client): only the streams' count.
    lines.length = 0;
    // The whole stream read (an ended run's stream closes after its last event).
    expect(await get(port, events, '127.0.0.3', { 'x-auth-token': t.key })).toBe(200);
    const [whole] = await requestLines(lines, 1);
    expect(whole).toMatchObject({ route: '/api/experiments/runs/:runId/events', status: 200, client: '127.0.0.3', complete: true });
    // A stream is written straight to Node's response, past Hono's headers; it carries its id too.
    const streamed = await answered(port, events, '127.0.0.3', { 'x-auth-token': t.key, 'x-request-id': 'stream-1' });
    expect(streamed.requestId).toBe('stream-1');
    lines.length = 0;
    // A reader that goes away after its first bytes (16 MB of events unsent).
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.4' });
    await new Promise<void>((resolve) => {
      socket.once('data', () => resolve());
      socket.write(`GET ${events} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${t.key}\r\n\r\n`);
    });
    socket.destroy();
    const [cut] = await requestLines(lines, 1);
    expect(cut).toMatchObject({ route: '/api/experiments/runs/:runId/events', status: 200, client: '127.0.0.4', complete: false });
  });

  it('names each request by the X-Request-Id its answer carries: the one sent when usable, else a new one', async () => {
    const { t, port, lines } = await serve(true);
    const auth = { 'x-auth-token': t.key };
    const fresh = await answered(port, '/api/experiments', '127.0.0.3', auth);
    const kept = await answered(port, '/api/experiments', '127.0.0.3', { ...auth, 'x-request-id': 'f3a1c0de=edge-7' });
    const refused = await answered(port, '/api/experiments', '127.0.0.3', { ...auth, 'x-request-id': 'no spaces; or "quotes"' });
    const long = await answered(port, '/healthz', '127.0.0.3', { 'x-request-id': 'a'.repeat(129) });
    expect(fresh.requestId).toMatch(UUID);
    expect(kept.requestId).toBe('f3a1c0de=edge-7');
    expect(refused.requestId).toMatch(UUID);
    expect(long.requestId).toMatch(UUID);
    expect(new Set([fresh.requestId, refused.requestId, long.requestId]).size).toBe(3);
    const logged = (await requestLines(lines, 4)).map((l) => l.requestId);
    expect(logged).toEqual([fresh.requestId, kept.requestId, refused.requestId, long.requestId]);
  });

  it('is off by default', async () => {
    const { t, port, lines } = await serve(false);
    expect(await get(port, '/api/experiments', '127.0.0.3', { 'x-auth-token': t.key })).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(lines.filter((l) => l.msg === 'request')).toEqual([]);
  });
});

describe('the auth throttle', () => {
  it('logs each block with the client it blocked', async () => {
    const { port, lines } = await serve(false, { authFailuresPerMinute: 1 });
    const wrong = { 'x-auth-token': `sk-lw-${'y'.repeat(40)}`, 'x-forwarded-for': '203.0.113.9' };
    expect(await get(port, '/api/experiments', '127.0.0.2', wrong)).toBe(401);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(await get(port, '/api/experiments', '127.0.0.2', wrong)).toBe(429);
    const warned = lines.filter((l) => l.level === 'warn');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.obj).toEqual({ client: '203.0.113.9', seconds: 60 });
    expect(warned[0]!.msg).toMatch(/^blocked authentication from 203\.0\.113\.9 for 60 s: over ASSAY_AUTH_FAILURES_PER_MINUTE \(1\)/);
  });
});

describe('an unexpected error', () => {
  it('answers 500 with the request id its log line has', async () => {
    const lines: Line[] = [];
    const app = new Hono();
    app.use('*', requestIds());
    app.get('/boom', () => {
      throw new TypeError('cannot read properties of undefined');
    });
    app.onError(makeErrorHandler(capturingLogger(lines), clientAddresses([])));
    const res = await app.request('/boom');
    expect(res.status).toBe(500);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    expect(await res.json()).toEqual({ error: 'internal_error', message: `An unexpected error occurred (request ${id})`, requestId: id });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'unhandled error', obj: { method: 'GET', path: '/boom', requestId: id, err: { name: 'TypeError' } } });
  });
});
