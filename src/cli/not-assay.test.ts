// `assay run` and `assay push` pointed at endpoints that are not an Assay server: another API
// that answers 200 with its own JSON, a web page, and a server that takes the connection and
// never answers. Each must end with exit 2 and a message naming the endpoint, not hang, print
// "undefined" or fail on a TypeError.
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnAssay } from '../testing/spawn.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';

let server: Server;
let base: string;
let dir: string;
const held: ServerResponse[] = [];

// The first path segment picks the behaviour, so one server plays every kind of endpoint.
function answer(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  if (req.url!.startsWith('/hang/')) {
    held.push(res);
    return;
  }
  if (req.url!.startsWith('/html/')) {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Welcome</title>');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"reply":"ok"}');
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'assay-not-assay-'));
  server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of held) res.destroy();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

async function assay(args: string[], endpoint: string, env: Record<string, string> = {}) {
  const startedAt = Date.now();
  const p = spawnAssay(args, { ASSAY_ENDPOINT: endpoint, ASSAY_API_KEY: `sk-lw-${'NotAssayTs'.repeat(4)}`, ...env });
  const code = await p.exited;
  return { code, out: p.output(), seconds: (Date.now() - startedAt) / 1000 };
}

describe('endpoints that are not Assay', { timeout: 120_000 }, () => {
  it('push to an API answering {"reply":"ok"} is refused instead of printing "experiment undefined"', async () => {
    const file = path.join(dir, 'exp.yaml');
    writeFileSync(file, 'name: Pushed\ntargets:\n  - { id: t, type: code, code: "return row.q" }\n');
    const res = await assay(['push', file], `${base}/other`);
    expect(res.code).toBe(2);
    expect(res.out).toContain(`${base}/other did not answer like an Assay server (PUT /api/experiments/pushed answered`);
    expect(res.out).not.toContain('undefined');
  });

  it('run against the same API and against a web page exits 2 with the same message', async () => {
    const api = await assay(['run', 'x'], `${base}/other`);
    expect(api.code).toBe(2);
    expect(api.out).toContain('did not answer like an Assay server (POST /api/experiments/x/run answered no "runId" field)');
    expect(api.out).not.toMatch(/undefined|TypeError/);
    const page = await assay(['run', 'x'], `${base}/html`);
    expect(page.code).toBe(2);
    expect(page.out).toContain('did not answer like an Assay server (POST /api/experiments/x/run answered 200 with text/html, not JSON)');
  });

  it('a server that never answers: --timeout counts from the first request, and every request has a bound', async () => {
    const run = await assay(['run', 'x', '--timeout', '1'], `${base}/hang`);
    expect(run.code).toBe(2);
    expect(run.out).toContain(`Timed out after 1 s waiting for ${base}/hang to start the run`);
    expect(run.seconds).toBeLessThan(15);
    const file = path.join(dir, 'exp.json');
    writeFileSync(file, JSON.stringify({ name: 'Pushed', targets: [{ id: 't', type: 'code', code: 'return 1' }] }));
    const push = await assay(['push', file], `${base}/hang`, { ASSAY_REQUEST_TIMEOUT: '1' });
    expect(push.code).toBe(2);
    expect(push.out).toContain(`${base}/hang did not answer PUT /api/experiments/pushed within 1 s`);
    expect(push.seconds).toBeLessThan(15);
  });
});
