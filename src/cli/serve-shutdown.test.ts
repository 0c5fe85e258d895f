// End to end: SIGTERM of a real `assay serve` while clients follow a running run's event stream.
// The streams end at once with `: closed: shutdown` (they last as long as their run, which does
// not end while the server stops), so the process exits without waiting for
// ASSAY_SHUTDOWN_TIMEOUT_MS — set to a minute here, so an exit before it is no matter of machine
// speed, and the line logged when it cuts connections tells the two apart. `assay run` follows
// the run across the restart and exits 0 once the next server has finished it.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentExperiment } from '../testing/runs.js';
import { type Spawned, spawnAssay } from '../testing/spawn.js';
import { forcedClose } from './listen.js';

const KEY = `sk-lw-${'ShutdownSs'.repeat(4)}`;
const SHUTDOWN_TIMEOUT_MS = 60_000;

/** An agent that holds every call while `holding` (the run stays running), then answers with the question. */
let target: Server;
let holding = true;
const held: ServerResponse[] = [];
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-shutdown-'));
const spawned: Spawned[] = [];

beforeAll(async () => {
  target = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      if (holding) return void held.push(res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ reply: (JSON.parse(body) as { message: string }).message }));
    });
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const p of spawned) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const res of held) res.destroy();
  await new Promise((resolve) => target.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
});

function serve(port: string): Spawned {
  const s = spawnAssay(['serve'], { PORT: port, ASSAY_DATA_DIR: dataDir, ASSAY_API_KEY: KEY, ASSAY_LOG_LEVEL: 'warn', ASSAY_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
  spawned.push(s);
  return s;
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('assay serve: SIGTERM with event streams open', { timeout: 180_000 }, () => {
  it('ends the streams with closed: shutdown and exits 0 before the shutdown timeout; assay run follows the run to the next server', async () => {
    const first = serve('0');
    const [, port] = await first.waitFor(/listening on http:\/\/localhost:(\d+)/);
    const base = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${KEY}` };
    const agentUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    const created = await fetch(`${base}/api/experiments`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(agentExperiment('held', agentUrl, 2)) });
    expect(created.status).toBe(201);

    // `assay run` follows the run (its own stream), and a plain SSE client a second one.
    const cli = spawnAssay(['run', 'held'], { ASSAY_ENDPOINT: base, ASSAY_API_KEY: KEY });
    spawned.push(cli);
    const [, runId] = await cli.waitFor(/Run (run_\w+) started/);
    const res = await fetch(`${base}/api/experiments/runs/${runId}/events`, { headers: { ...auth, accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    let text = '';
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    // Resolves when the server ends the response; rejects if the connection is cut instead.
    const streamEnded = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })();
    await until('the stream to start', () => text.includes('"execution_started"'));
    // Both cells are in flight: the run is running, and stays so while the server stops.
    await until('the agent to hold both calls', () => held.length === 2);

    const sentAt = Date.now();
    first.child.kill('SIGTERM');
    await streamEnded;
    expect(text.endsWith(': closed: shutdown\n\n')).toBe(true);
    expect(text).not.toContain('"done"');
    expect(await first.exited).toBe(0);
    expect(Date.now() - sentAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(first.output()).not.toContain(forcedClose(SHUTDOWN_TIMEOUT_MS));
    expect(cli.child.exitCode).toBeNull();

    // The next server (same data, same port) continues the run; the agent answers now.
    holding = false;
    const second = serve(port!);
    await second.waitFor(/listening on/);
    expect(await cli.exited, cli.output()).toBe(0);
    expect(cli.output()).toMatch(/the server is shutting down or restarting \(.*\); reconnecting/);
    const run = (await (await fetch(`${base}/api/experiments/runs/${runId}`, { headers: auth })).json()) as { status: string; progress: number };
    expect(run).toMatchObject({ status: 'completed', progress: 2 });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).not.toContain(forcedClose(SHUTDOWN_TIMEOUT_MS));
  });
});
