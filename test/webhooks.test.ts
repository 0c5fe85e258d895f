// Webhooks against the real server process (docs/webhooks.md): a run with a webhookUrl gets one
// signed POST that the documented Node and Python snippets verify, and a server killed (SIGKILL)
// while the delivery is on the wire sends it again after a restart, with the same delivery id.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAgent, type FakeAgent } from '../src/testing/fake-agent.js';
import { agentExperiment } from '../src/testing/runs.js';
import { bootServe, jsonRequest } from '../src/testing/spawn.js';

const KEY = `sk-lw-${'HookTest00'.repeat(4)}`;
const DOC = path.resolve(import.meta.dirname, '../docs/webhooks.md');

interface Hit {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver on loopback; `hang` requests are left unanswered (the sender is killed meanwhile). */
async function startHookReceiver(): Promise<{ url: string; hits: Hit[]; hang: number; close(): Promise<void> }> {
  const state = { hits: [] as Hit[], hang: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.hits.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (state.hang > 0) {
        state.hang--;
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** The code block after the `verify-snippet:<lang>` marker of docs/webhooks.md. */
function snippet(lang: 'node' | 'python'): string {
  const text = readFileSync(DOC, 'utf8');
  const at = text.indexOf(`<!-- verify-snippet:${lang}`);
  const match = /```\w+\n([\s\S]*?)```/.exec(text.slice(at));
  if (at < 0 || !match) throw new Error(`no ${lang} snippet in docs/webhooks.md`);
  return match[1]!;
}

let dir: string;
let agent: FakeAgent;
let hooks: Awaited<ReturnType<typeof startHookReceiver>>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'assay-hooks-'));
  agent = await startFakeAgent({ latencyMs: 5 });
  hooks = await startHookReceiver();
});
afterAll(async () => {
  await hooks.close();
  await agent.close();
  rmSync(dir, { recursive: true, force: true });
});

const boot = () => bootServe(path.join(dir, 'data'), KEY);

const api = (base: string, method: string, p: string, body?: unknown) => jsonRequest(base, KEY, method, p, body);

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('webhooks from the real server', { timeout: 120_000 }, () => {
  it('delivers one signed POST per finished run, verifiable with the documented snippets, and again after a kill -9 mid-delivery', async () => {
    const first = await boot();
    try {
      await api(first.base, 'POST', '/api/experiments', agentExperiment('hooked', agent.url, 3));
      const { runId } = await api(first.base, 'POST', '/api/experiments/hooked/run', { webhookUrl: hooks.url, metadata: { commit: 'abc123' } });
      await until(async () => hooks.hits.length, (n) => n >= 1, 'the delivery');
      const log = await until(() => api(first.base, 'GET', `/api/experiments/runs/${runId}/webhooks`), (l) => l.deliveries[0]?.status === 'delivered', 'the log');
      expect(log.deliveries).toHaveLength(1);
      expect(log.deliveries[0].log).toMatchObject([{ attempt: 1, statusCode: 200, error: null, responseExcerpt: 'thanks' }]);
      expect(hooks.hits).toHaveLength(1);
      const hit = hooks.hits[0]!;
      const body = JSON.parse(hit.body);
      expect(body).toMatchObject({ event: 'run.finished', runId, status: 'completed', progress: 3, total: 3, metadata: { commit: 'abc123' }, summary: { totalCells: 3, passRate: 100 } });
      expect(hit.headers['assay-delivery']).toBe(log.deliveries[0].id);

      const { secret } = await api(first.base, 'GET', '/api/webhooks/secret');
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      const signature = String(hit.headers['assay-signature']);

      // The Node snippet, exactly as documented.
      const nodeFile = path.join(dir, 'verify.mjs');
      writeFileSync(nodeFile, snippet('node'));
      const { verifyAssaySignature } = (await import(pathToFileURL(nodeFile).href)) as { verifyAssaySignature: (s: string, h: string, b: string) => boolean };
      expect(verifyAssaySignature(secret, signature, hit.body)).toBe(true);
      expect(verifyAssaySignature(secret, signature, hit.body.replace('"completed"', '"failed"'))).toBe(false);
      expect(verifyAssaySignature(`${secret}x`, signature, hit.body)).toBe(false);

      // The Python snippet, exactly as documented.
      const pyFile = path.join(dir, 'verify.py');
      writeFileSync(pyFile, `${snippet('python')}\nimport sys\nprint(verify_assay_signature(sys.argv[1], sys.argv[2], sys.stdin.buffer.read()))\n`);
      const py = (args: string[], input: string) =>
        new Promise<string>((resolve, reject) => {
          const child = execFile('python3', [pyFile, ...args], (error, stdout) => (error ? reject(error) : resolve(stdout.trim())));
          child.stdin!.end(input);
        });
      expect(await py([secret, signature], hit.body)).toBe('True');
      expect(await py([secret, signature], `${hit.body} `)).toBe('False');

      // Now a delivery that is on the wire when the server is killed.
      hooks.hang = 1;
      const second = await api(first.base, 'POST', '/api/experiments/hooked/run', { webhookUrl: hooks.url });
      await until(async () => hooks.hits.length, (n) => n >= 2, 'the second delivery');
      first.server.child.kill('SIGKILL');
      await first.server.exited;
      const again = await boot();
      try {
        await until(async () => hooks.hits.length, (n) => n >= 3, 'the delivery after the restart');
        const [lost, resent] = hooks.hits.slice(1);
        expect(resent!.headers['assay-delivery']).toBe(lost!.headers['assay-delivery']);
        expect(JSON.parse(resent!.body)).toMatchObject({ runId: second.runId, status: 'completed' });
        const after = await until(() => api(again.base, 'GET', `/api/experiments/runs/${second.runId}/webhooks`), (l) => l.deliveries[0]?.status === 'delivered', 'the log after the restart');
        expect(after.deliveries[0].attempts).toBe(1);
        // One delivery per finished run: the first run's was not sent again.
        expect(hooks.hits.filter((h) => JSON.parse(h.body).runId === runId)).toHaveLength(1);
      } finally {
        again.server.child.kill('SIGTERM');
        await again.server.exited;
      }
    } finally {
      first.server.child.kill('SIGKILL');
    }
  });
});
