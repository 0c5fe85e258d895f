// Body reading: a body that ends before its Content-Length is a client that went away (its
// socket closed before or while the server read it), never a short but complete body; see
// client-gone.test.ts for the same over a real socket.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/ports.js';
import { bodyText } from './body.js';
import { makeErrorHandler } from './errors.js';

function app() {
  const hono = new Hono();
  hono.post('/echo', async (c) => c.text(await bodyText(c, 1_000)));
  hono.onError(makeErrorHandler(silentLogger));
  return hono;
}

describe('bodyText', () => {
  it('answers 499 when the body is shorter than its Content-Length', async () => {
    const res = await app().request('/echo', { method: 'POST', headers: { 'content-length': '100' }, body: 'abc' });
    expect(res.status).toBe(499);
  });

  it('reads a body that matches its Content-Length, or has none', async () => {
    const exact = await app().request('/echo', { method: 'POST', headers: { 'content-length': '3' }, body: 'abc' });
    expect([exact.status, await exact.text()]).toEqual([200, 'abc']);
    const chunked = await app().request('/echo', { method: 'POST', body: 'abc' });
    expect([chunked.status, await chunked.text()]).toEqual([200, 'abc']);
  });
});
