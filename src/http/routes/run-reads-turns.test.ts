// Reading a whole run (exports, comparisons, the event stream from the start, the summary a
// resume rebuilds) is page after page of synchronous SQLite reads: each page must give the
// event loop a turn (core/turns.ts), or a 50,000-cell export held the server for 0.5–1.3 s.
// With a budget of 0 every step gives its turn away, so the turns counted are the steps taken,
// on a machine of any speed; requests go through app.request (no socket), so nothing else turns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTurnBudget, TURN_BUDGET_MS } from '../../core/turns.js';
import { startFakeAgent, type FakeAgent } from '../../testing/fake-agent.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { agentExperiment, waitForRun } from '../../testing/runs.js';
import { turnsDuring } from '../../testing/turns.js';

const ROWS = 2_500;

describe('reading a whole run takes turns of the event loop', () => {
  let t: TestAssay;
  let agent: FakeAgent;
  const runIds: string[] = [];

  beforeAll(async () => {
    t = await startTestAssay();
    agent = await startFakeAgent();
    expect((await t.req('POST', '/api/experiments', { body: agentExperiment('big', agent.url, ROWS, { execution: { concurrency: 50, maxRetries: 0 } }) })).status).toBe(201);
    for (let i = 0; i < 2; i++) {
      const started = (await (await t.req('POST', '/api/experiments/big/run', { body: {} })).json()) as { runId: string };
      expect((await waitForRun(t, started.runId, 60_000)).status).toBe('completed');
      runIds.push(started.runId);
    }
    setTurnBudget(0);
  }, 120_000);
  afterAll(async () => {
    setTurnBudget(TURN_BUDGET_MS);
    await t.close();
    await agent.close();
  });

  /** Turns taken by one request read to its end, and its body. */
  async function read(path: string, headers?: Record<string, string>): Promise<{ turns: number; text: string; status: number }> {
    let text = '';
    let status = 0;
    const turns = await turnsDuring(async () => {
      const res = await t.req('GET', path, headers ? { headers } : undefined);
      status = res.status;
      text = await res.text();
    });
    return { turns, text, status };
  }

  it('exports in every format, a page at a time', async () => {
    // The first CSV export loads its library (file reads take turns of their own).
    await read(`/api/experiments/runs/${runIds[1]}/export?format=csv`);
    for (const format of ['jsonl', 'csv', 'junit']) {
      const { turns, text, status } = await read(`/api/experiments/runs/${runIds[1]}/export?format=${format}`);
      expect(status).toBe(200);
      if (format === 'jsonl') expect(text.trim().split('\n')).toHaveLength(ROWS);
      // Three pages of 1,000 cells (JUnit reads them twice).
      expect(turns, format).toBeGreaterThanOrEqual(3);
    }
  });

  it('compares two runs and exports the comparison, a page at a time', async () => {
    // The first comparison loads the statistics libraries (file reads take turns of their own).
    await read(`/api/experiments/runs/${runIds[1]}/compare?baseline=${runIds[0]}`);
    await read(`/api/experiments/runs/${runIds[1]}/compare/export?baseline=${runIds[0]}&format=jsonl`);
    const compared = await read(`/api/experiments/runs/${runIds[1]}/compare?baseline=${runIds[0]}`);
    expect(compared.status).toBe(200);
    expect((JSON.parse(compared.text) as { matched: { cells: number } }).matched.cells).toBe(ROWS);
    expect(compared.turns).toBeGreaterThanOrEqual(2);
    const exported = await read(`/api/experiments/runs/${runIds[1]}/compare/export?baseline=${runIds[0]}&format=jsonl`);
    expect(exported.status).toBe(200);
    expect(exported.turns).toBeGreaterThanOrEqual(2);
  });

  it('reads a results page of thousands of cells in chunks, the same cells in the same order as small pages', async () => {
    const whole = await read(`/api/experiments/runs/${runIds[1]}/results?limit=5000`);
    const cells = (JSON.parse(whole.text) as { dataset: { index: number }[] }).dataset;
    expect(cells.map((c) => c.index)).toEqual(Array.from({ length: ROWS }, (_, i) => i));
    expect(whole.turns).toBeGreaterThanOrEqual(5);
    // A run of picked rows (row order is not cell order): chunks continue by key, not by offset.
    const picked = Array.from({ length: 1_200 }, (_, i) => (i * 7) % ROWS);
    const started = (await (await t.req('POST', '/api/experiments/big/run', { body: { row_indices: [...picked, picked[0]] } })).json()) as { runId: string };
    expect((await waitForRun(t, started.runId, 60_000)).status).toBe('completed');
    const all = JSON.parse((await read(`/api/experiments/runs/${started.runId}/results?limit=5000`)).text) as { dataset: { index: number; entry: unknown }[] };
    const paged: { index: number; entry: unknown }[] = [];
    for (let offset = 0; offset < 1_201; offset += 173) {
      paged.push(...(JSON.parse((await read(`/api/experiments/runs/${started.runId}/results?offset=${offset}&limit=173`)).text) as typeof all).dataset);
    }
    expect(all.dataset).toHaveLength(1_201);
    expect(all.dataset).toEqual(paged);
    expect(all.dataset.map((c) => c.index)).toEqual([...picked, picked[0]!].sort((a, b) => a - b));
  });

  it('replays the event stream from the start a page at a time', async () => {
    const { turns, text } = await read(`/api/experiments/runs/${runIds[1]}/events`, { accept: 'text/event-stream' });
    expect(text).toContain('"type":"done"');
    // ≈ 5,000 cell events in pages of 500.
    expect(turns).toBeGreaterThanOrEqual(5);
  });
});
