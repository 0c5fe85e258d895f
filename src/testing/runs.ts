// Helpers for run tests: experiment documents against a fake agent, waiting for a run to end,
// and reading an SSE body into events.
import type { RunEvent } from '../core/events.js';
import type { RunRequestEcho } from '../core/model/run-api.js';
import type { TestAssay } from './harness.js';

/** An experiment with one HTTP target pointing at `agentUrl` and an exact-match evaluator. */
export function agentExperiment(slug: string, agentUrl: string, rows: number, extra: Record<string, unknown> = {}) {
  return {
    slug,
    name: slug,
    dataset: { rows: Array.from({ length: rows }, (_, i) => ({ question: `q${i}`, expected: `q${i}` })) },
    targets: [{ id: 'agent', type: 'http', url: `${agentUrl}/chat`, body: { message: '{{question}}' }, outputPath: '$.reply' }],
    evaluators: [{ id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
    ...extra,
  };
}

export interface PolledRun {
  runId: string;
  status: string;
  progress: number;
  total: number;
  startedAt: number;
  finishedAt?: number;
  summary?: Record<string, any>;
  error?: string;
  message?: string;
  /** What the run was started with (src/core/model/run-api.ts, runRequestEchoSchema). */
  request?: RunRequestEcho;
}

export async function poll(t: TestAssay, runId: string): Promise<PolledRun> {
  return (await (await t.req('GET', `/api/experiments/runs/${runId}`)).json()) as PolledRun;
}

/** Polls until the run is no longer running (or `until` holds), at most `timeoutMs`. */
export async function waitForRun(t: TestAssay, runId: string, timeoutMs = 30_000, until?: (r: PolledRun) => boolean): Promise<PolledRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await poll(t, runId);
    if (until ? until(r) : r.status !== 'running') return r;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${r.status} at ${r.progress}/${r.total} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Parses an SSE body into frames (id + parsed data) and comment lines. */
export function parseSse(text: string): { events: RunEvent[]; ids: number[]; comments: string[] } {
  const events: RunEvent[] = [];
  const ids: number[] = [];
  const comments: string[] = [];
  for (const frame of text.split('\n\n')) {
    if (frame.trim() === '') continue;
    let id: number | undefined;
    for (const line of frame.split('\n')) {
      if (line.startsWith(':')) comments.push(line);
      else if (line.startsWith('id: ')) id = Number(line.slice(4));
      else if (line.startsWith('data: ')) {
        events.push(JSON.parse(line.slice(6)) as RunEvent);
        ids.push(id ?? NaN);
      }
    }
  }
  return { events, ids, comments };
}

/** Starts a run and returns its id. */
export async function startRun(t: TestAssay, slug: string, body?: unknown): Promise<string> {
  const res = await t.req('POST', `/api/experiments/${slug}/run`, body === undefined ? {} : { body });
  if (res.status !== 200) throw new Error(`run start failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { runId: string }).runId;
}
