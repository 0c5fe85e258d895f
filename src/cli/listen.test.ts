// `assay serve` and `assay worker` listen through listenEarly; the app must still get what
// @hono/node-server passes with each request (`{ incoming, outgoing }`). Without it every client
// was the one address `local` to the auth throttle, so one client's failed keys throttled every
// other client, and event streams never took the direct path to Node's response.
import http, { ServerResponse } from 'node:http';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthThrottle } from '../http/auth-throttle.js';
import { closeServer, type EarlyListener, listenEarly } from './listen.js';
import { connectionLimits } from '../config/connections.js';

let early: EarlyListener | undefined;
afterEach(async () => {
  if (early) await closeServer(early.server, 1_000);
  early = undefined;
});

/** GET /who from a given local address. */
function who(port: number, localAddress: string): Promise<{ address: string; node: boolean }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/who', localAddress }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(JSON.parse(text) as { address: string; node: boolean }));
      })
      .on('error', reject);
  });
}

describe('listenEarly', () => {
  it("passes the app each request's socket and response, for requests before and after start-up", async () => {
    const app = new Hono();
    app.get('/who', (c) => c.json({ address: new AuthThrottle(1).address(c), node: (c.env as { outgoing?: unknown } | undefined)?.outgoing instanceof ServerResponse }));
    early = await listenEarly(0, '127.0.0.1', 'PORT', connectionLimits({}));
    // One waits for start-up.
    const waiting = who(early.port, '127.0.0.2');
    early.ready(app.fetch);
    expect(await waiting).toEqual({ address: '127.0.0.2', node: true });
    expect(await who(early.port, '127.0.0.3')).toEqual({ address: '127.0.0.3', node: true });
  });
});
