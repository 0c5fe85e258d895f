// SPEC §6 keep-alive: a `: ping` comment line during silence, never a data frame.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAgent, type FakeAgent } from '../testing/fake-agent.js';
import { startTestAssay, type TestAssay } from '../testing/harness.js';
import { agentExperiment, parseSse, waitForRun } from '../testing/runs.js';

let t: TestAssay;
let agent: FakeAgent;
beforeAll(async () => {
  t = await startTestAssay({}, undefined, { pingMs: 200 });
  agent = await startFakeAgent({ latencyMs: 1200 });
});
afterAll(async () => {
  await t.close();
  await agent.close();
});

describe('SSE keep-alive', () => {
  it('sends `: ping` comments while a slow cell is in flight, and the data still parses', async () => {
    await t.req('POST', '/api/experiments', { body: agentExperiment('quiet', agent.url, 1) });
    const res = await t.req('POST', '/api/experiments/quiet/run', { headers: { accept: 'text/event-stream' } });
    const text = await res.text();
    const { events, comments } = parseSse(text);
    expect(comments.length).toBeGreaterThanOrEqual(3);
    expect(new Set(comments)).toEqual(new Set([': ping']));
    expect(events.map((e) => e.type)).toEqual(['execution_started', 'cell_started', 'target_result', 'evaluator_result', 'progress', 'done']);
    expect((await waitForRun(t, (events[0] as { runId: string }).runId)).status).toBe('completed');
  });
});
