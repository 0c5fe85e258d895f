// /readyz as a load balancer sees it, against a real PostgreSQL reached through a TCP proxy
// this test can cut: 200 while the database answers; 503 once it stops answering (connections
// dropped and new ones left hanging, the way a partitioned network behaves, or refused); 200
// again when it is back — on the same server, without a restart. /livez answers meanwhile.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresDatabase } from '../../testing/databases.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';

/** A loopback TCP proxy to `target` that can pass traffic, swallow it, or refuse connections. */
async function cuttableProxy(target: URL): Promise<{ url: (u: string) => string; mode(m: 'pass' | 'blackhole' | 'refuse'): void; close(): Promise<void> }> {
  let mode: 'pass' | 'blackhole' | 'refuse' = 'pass';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (mode === 'refuse') return client.destroy();
    // Swallowed: the connection opens, and nothing ever answers.
    if (mode === 'blackhole') return;
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: (u) => {
      const copy = new URL(u);
      copy.hostname = '127.0.0.1';
      copy.port = String(port);
      return copy.toString();
    },
    mode(m) {
      mode = m;
      // Whatever was open goes down with the link.
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

const pg = postgresDatabase();
let proxy: Awaited<ReturnType<typeof cuttableProxy>>;
let t: TestAssay;

beforeAll(async () => {
  const options = await pg.options();
  proxy = await cuttableProxy(new URL(options.databaseUrl!));
  t = await startTestAssay({ readyTimeoutMs: 300 }, { ...options, databaseUrl: proxy.url(options.databaseUrl!) });
});
afterAll(async () => {
  proxy.mode('pass');
  await t?.close();
  await proxy?.close();
  await pg.cleanup();
});

describe('/readyz', () => {
  it('answers 200 while the database answers', async () => {
    const res = await t.req('GET', '/readyz', { key: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  it('answers 503 when the database stops answering, and 200 again when it is back', async () => {
    proxy.mode('blackhole');
    // The pool's open connections just died: the first check may see that at once (unreachable)
    // or wait on a new connection that never answers (timeout); either way it is not ready.
    const cut = await t.req('GET', '/readyz', { key: null });
    expect(cut.status).toBe(503);
    expect(((await cut.json()) as { checks: { database: string } }).checks.database).toMatch(/^(unreachable|timeout)$/);
    const hung = await t.req('GET', '/readyz', { key: null });
    expect(hung.status).toBe(503);
    expect(await hung.json()).toEqual({ status: 'unavailable', error: 'not_ready', message: 'the database did not answer within 300 ms', checks: { database: 'timeout' } });
    // The process itself is sound: /livez answers without asking the database.
    const live = await t.req('GET', '/livez', { key: null });
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok' });
    proxy.mode('refuse');
    const refused = await t.req('GET', '/readyz', { key: null });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ status: 'unavailable', error: 'not_ready', checks: { database: 'unreachable' } });

    proxy.mode('pass');
    const back = await t.req('GET', '/readyz', { key: null });
    expect(back.status).toBe(200);
  });
});
