// The real `assay` command against node:http servers that play an Assay server (valid answers)
// except where a test makes them misbehave: a body that stalls, gigabytes, an HTML 404, garbage
// in the event stream, `{}` for a comparison, an event stream cut over and over, a server that
// goes away for a few seconds mid-run, and readers that close stdout at once (`| true`). Each
// must end with the right exit code and one line that says what happened.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnAssay } from '../testing/spawn.js';

const KEY = `sk-lw-${'BadServers'.repeat(4)}`;
const summary = (runId: string) => ({
  runId, totalCells: 2, completedCells: 2, failedCells: 0, duration: 5, timestamps: { startedAt: 1, finishedAt: 6 }, runUrl: `http://x/${runId}`,
  totalPassed: 2, totalFailed: 0, passRate: 100, totalCost: 0, targetCost: 0, evaluatorCost: 0, targets: [], evaluators: [],
});
const runBody = (runId: string, status = 'completed') => ({ runId, status, progress: 2, total: 2, startedAt: 1, finishedAt: 6, summary: summary(runId), metadata: {} });
const comparison = {
  runId: 'run_X', baselineRunId: 'run_B', alpha: 0.05, verdict: 'no_significant_change', matchedBy: 'index', matched: { rows: 2, cells: 2 },
  unmatched: { candidate: 0, baseline: 0 }, evaluators: [], targets: [],
  rows: { counts: { regressed: 0, improved: 0, unchanged: 2 }, items: [], pagination: { offset: 0, limit: 100, total: 0 } },
};
const frame = (event: object, seq: number) => `id: ${seq}\ndata: ${JSON.stringify({ ...event, seq })}\n\n`;

let server: Server;
let base: string;
let dir: string;
const held: ServerResponse[] = [];
/** Event-stream connections per behaviour. */
const streams = new Map<string, number>();

const json = (res: ServerResponse, status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/** The first path segment picks the behaviour; everything else answers as an Assay server would. */
function answer(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  const [, mode, ...rest] = req.url!.split('/');
  const url = `/${rest.join('/')}`;
  if (mode === 'stall') {
    res.writeHead(201, { 'content-type': 'application/json' }).write('{"runId":');
    held.push(res);
    return;
  }
  if (mode === 'huge') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(3 * 1024 ** 3) }).write('{');
    held.push(res);
    return;
  }
  if (mode === 'html404') return void res.writeHead(404, { 'content-type': 'text/html' }).end('<html>Not Found</html>');
  if (req.method === 'PUT') return json(res, 200, { id: 'exp_1', slug: 'pushed', version: 2 });
  if (req.method === 'POST' && url.endsWith('/run')) return json(res, 201, { runId: 'run_X', status: 'running', total: 2, runUrl: 'http://x/run_X' });
  if (url.includes('/events')) {
    const n = (streams.get(mode!) ?? 0) + 1;
    streams.set(mode!, n);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (mode === 'garbage') return void res.end('id: 1\ndata: not json\n\n');
    // Cut after one event, 24 times: more connections than the 20 the client used to allow in all.
    if (mode === 'cut' && n < 24) return void res.write(frame({ type: 'progress', completed: 1, total: 2 }, n), () => res.destroy());
    return void res.end(frame({ type: 'progress', completed: 2, total: 2 }, 30) + frame({ type: 'done', summary: summary('run_X') }, 31));
  }
  if (url.includes('/export')) return void res.writeHead(200, { 'content-type': 'application/xml' }).end('<testsuites/>\n');
  if (url.includes('/compare')) {
    if (mode === 'empty') return json(res, 200, {});
    if (mode === 'comparefails') return json(res, 500, { error: 'internal', message: 'comparison exploded' });
    return json(res, 200, comparison);
  }
  const runId = /\/runs\/(run_\w+)/.exec(url)?.[1];
  if (runId) return json(res, 200, runBody(runId));
  json(res, 404, { error: 'not_found', message: `No route ${url}` });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'assay-bad-servers-'));
  server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

async function assay(args: string[], endpoint: string, env: Record<string, string> = {}, wrap: string[] = []) {
  const p = spawnAssay(args, { ASSAY_ENDPOINT: endpoint, ASSAY_API_KEY: KEY, ...env }, undefined, wrap);
  const code = await p.exited;
  return { code, out: p.output() };
}
/** Runs the command with its stdout piped into `true`, which exits at once; pipefail keeps the command's exit code. */
const PIPE_TO_TRUE = ['bash', '-c', 'set -o pipefail; "$@" | true', 'bash'];
const STACK = /\n\s+at /;

describe('servers that misbehave', { timeout: 120_000 }, () => {
  it('a body that stalls after the headers ends at ASSAY_REQUEST_TIMEOUT with a message naming the endpoint', async () => {
    const res = await assay(['run', 'x'], `${base}/stall`, { ASSAY_REQUEST_TIMEOUT: '1' });
    expect(res.out).toContain(`error: ${base}/stall started answering POST /api/experiments/x/run but did not finish within 1 s (the body stalled)`);
    expect(res.code).toBe(2);
  });

  it('an answer of gigabytes is refused as not Assay, without a native crash', async () => {
    const file = path.join(dir, 'exp.yaml');
    writeFileSync(file, 'name: Pushed\ntargets:\n  - { id: t, type: code, code: "return 1" }\n');
    const res = await assay(['push', file], `${base}/huge`);
    expect(res.out).toContain(`error: ${base}/huge did not answer like an Assay server (PUT /api/experiments/pushed answered with more than 256 MiB`);
    expect(res.code).toBe(2);
  });

  it('an HTML 404 is said not to be Assay, with its status and content type', async () => {
    const res = await assay(['run', 'x'], `${base}/html404`);
    expect(res.out).toContain(`error: ${base}/html404 did not answer like an Assay server (POST /api/experiments/x/run answered 404 with text/html, not an Assay error)`);
    expect(res.code).toBe(2);
  });

  it('garbage in the event stream is said to be no Assay event', async () => {
    const res = await assay(['run', 'x'], `${base}/garbage`);
    expect(res.out).toContain(`its event stream GET /api/experiments/runs/run_X/events sent something that is not an Assay event: "not json"`);
    expect(res.out).not.toContain('JSON');
    expect(res.code).toBe(2);
  });

  it('compare against a server answering {} names the missing field instead of a TypeError', async () => {
    const res = await assay(['compare', 'run_X'], `${base}/empty`);
    expect(res.out).toContain(`error: ${base}/empty did not answer like an Assay server (GET /api/experiments/runs/run_X/compare answered no "runId" field)`);
    expect(res.out).not.toContain('toUpperCase');
    expect(res.code).toBe(2);
  });

  it('an event stream cut after every event, 24 times, is followed to the end of the run', async () => {
    const res = await assay(['run', 'x'], `${base}/cut`);
    expect(streams.get('cut')).toBe(24);
    expect(res.out).toContain('Run run_X COMPLETED');
    expect(res.out).not.toContain('terminated');
    expect(res.code).toBe(0);
  });

  it('the reports are written before a comparison that fails, and the failure is still exit 2', async () => {
    const reports = { junit: path.join(dir, 'r.xml'), json: path.join(dir, 'r.json'), markdown: path.join(dir, 'r.md') };
    const res = await assay(['run', 'x', '--baseline', 'run_B', '--junit', reports.junit, '--json', reports.json, '--markdown', reports.markdown], `${base}/comparefails`);
    expect(res.out).toContain('error: 500 comparison exploded');
    expect(res.code).toBe(2);
    expect(readFileSync(reports.junit, 'utf8')).toBe('<testsuites/>\n');
    expect(JSON.parse(readFileSync(reports.json, 'utf8'))).toMatchObject({ runId: 'run_X', status: 'completed' });
    expect(readFileSync(reports.markdown, 'utf8')).toContain('### Assay run run_X: completed');
  });

  it('credentials in the endpoint are refused and never printed', async () => {
    const res = await assay(['run', 'x'], base.replace('http://', 'http://user:s3cret@'));
    expect(res.out).toContain('error: The endpoint http://***@127.0.0.1:');
    expect(res.out).toContain('holds credentials');
    expect(res.out).not.toContain('s3cret');
    expect(res.code).toBe(2);
    const schemeless = await assay(['compare', 'run_X'], `user:s3cret@127.0.0.1`);
    expect(schemeless.out).toContain('must start with http:// or https:// (got ***@127.0.0.1)');
    expect(schemeless.out).not.toContain('s3cret');
  });
});

describe('a stdout that is closed at once', { timeout: 120_000 }, () => {
  it('compare | true and push | true exit 0 without an EPIPE stack', async () => {
    const compared = await assay(['compare', 'run_X'], `${base}/ok`, {}, PIPE_TO_TRUE);
    expect(compared.out).not.toMatch(STACK);
    expect(compared.out).not.toContain('EPIPE');
    expect(compared.code).toBe(0);
    const file = path.join(dir, 'pushed.yaml');
    writeFileSync(file, 'name: Pushed\ntargets:\n  - { id: t, type: code, code: "return 1" }\n');
    const pushed = await assay(['push', file], `${base}/ok`, {}, PIPE_TO_TRUE);
    expect(pushed.out).not.toMatch(STACK);
    expect(pushed.out).not.toContain('EPIPE');
    expect(pushed.code).toBe(0);
  });
});

describe('a server that goes away mid-run', { timeout: 120_000 }, () => {
  it('is reconnected to with a one-line notice, and the run is followed to its end', async () => {
    // Its own server: the first event-stream connection gets one event, then the port refuses
    // connections (the server is down) until it listens again 3 s later.
    let port = 0;
    let restarted: Server | undefined;
    const down = createServer((req, res) => {
      req.resume();
      if (req.url!.endsWith('/run')) return json(res, 201, { runId: 'run_X', status: 'running', total: 2, runUrl: 'http://x/run_X' });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame({ type: 'progress', completed: 1, total: 2 }, 1), () => {
        down.close();
        down.closeAllConnections();
        setTimeout(() => {
          restarted = createServer(answer).listen(port, '127.0.0.1');
        }, 3000);
      });
    });
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    port = (down.address() as AddressInfo).port;
    try {
      const res = await assay(['run', 'x'], `http://127.0.0.1:${port}/ok`);
      expect(res.out).toContain(`Cannot reach http://127.0.0.1:${port}/ok (ECONNREFUSED); reconnecting for up to 2 min (the run goes on on the server)`);
      expect(res.out.match(/reconnecting/g)).toHaveLength(1);
      expect(res.out).toContain('Run run_X COMPLETED');
      expect(res.code).toBe(0);
    } finally {
      restarted?.closeAllConnections();
      await new Promise((resolve) => (restarted ? restarted.close(resolve) : resolve(undefined)));
    }
  });

  it('with --timeout, reconnects until the timeout and then says where the run goes on', async () => {
    const gone = createServer((req, res) => {
      req.resume();
      if (req.url!.endsWith('/run')) return json(res, 201, { runId: 'run_X', status: 'running', total: 2, runUrl: 'http://x/run_X' });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame({ type: 'progress', completed: 1, total: 2 }, 1), () => {
        gone.close();
        gone.closeAllConnections();
      });
    });
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const res = await assay(['run', 'x', '--timeout', '4'], `http://127.0.0.1:${(gone.address() as AddressInfo).port}`);
    expect(res.out).toContain('(ECONNREFUSED); reconnecting (the run goes on on the server)');
    expect(res.out).toContain('Timed out after 4 s; the run goes on at http://x/run_X');
    expect(res.code).toBe(2);
  });
});
