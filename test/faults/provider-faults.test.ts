// Provider and agent faults (issue 6): runs of 150–250 cells against a real `assay serve`
// process whose targets misbehave on purpose — calls that hang past the timeout, connection
// resets, truncated or malformed bodies, 500 storms, 429 storms with and without Retry-After —
// through the fake agent (HTTP targets) and the fake OpenAI server (prompt targets). Every
// run must end, with every planned cell present exactly once, each failure carrying its
// error, and an event log that replays consistently from any point.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, type ExpectStatic, it } from 'vitest';
import { checkEndedRun, type RunShape } from '../../src/testing/fault-checks.js';
import { bootServing, type FaultServer } from '../../src/testing/fault-server.js';
import { type FakeAgent, type FakeAgentBehaviour, startFakeAgent } from '../../src/testing/fake-agent.js';
import { startFakeOpenAI } from '../../src/testing/fake-openai.js';
import type { FakeLlmProvider, FakeModelBehaviour } from '../../src/testing/fake-provider-core.js';
import { agentExperiment } from '../../src/testing/runs.js';

const OPENAI_KEY = 'sk-openai-fault-test-0000000000';

let dataDir: string;
let server: FaultServer;
let openai: FakeLlmProvider;
const agents: FakeAgent[] = [];

interface Execution {
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
}

interface Scenario {
  name: string;
  rows: number;
  execution: Execution;
  /** Misbehaviour of a fake agent (an HTTP target), or of one fake OpenAI model (a prompt target). */
  agent?: Partial<FakeAgentBehaviour>;
  model?: { id: string; behaviour: Partial<FakeModelBehaviour> };
  /** A storm that ends: after `ms`, the agent behaves like this. */
  after?: { ms: number; behaviour: Partial<FakeAgentBehaviour> };
  /** What the injected fault leaves in errors or retry reasons (proof it was injected). */
  evidence: RegExp;
  /** Extra checks with the agent's view of the calls. */
  check?: (agent: FakeAgent, expect: ExpectStatic) => void;
}

const fast = (maxRetries: number, timeoutMs = 5_000): Execution => ({ concurrency: 25, timeoutMs, maxRetries });

const scenarios: Scenario[] = [
  { name: 'agent: hangs past the timeout', rows: 200, agent: { hangRate: 0.3, latencyMs: 5 }, execution: fast(1, 150), evidence: /timed out after 150 ms/ },
  { name: 'agent: connection resets', rows: 200, agent: { resetRate: 0.35, latencyMs: 5 }, execution: fast(2), evidence: /network error/ },
  { name: 'agent: malformed bodies', rows: 200, agent: { malformedRate: 0.3, latencyMs: 5 }, execution: fast(2), evidence: /invalid JSON/ },
  {
    name: 'agent: 500 storm that passes', rows: 250, agent: { failRate: 1, failStatus: 500, latencyMs: 5 }, execution: fast(3),
    after: { ms: 1_000, behaviour: { failRate: 0.15 } }, evidence: /HTTP 500/,
  },
  {
    name: 'agent: 429 storm with Retry-After', rows: 150, agent: { failRate: 0.6, failStatus: 429, retryAfter: 1, latencyMs: 5 }, execution: { ...fast(2), concurrency: 50 },
    evidence: /HTTP 429/,
    check: (agent, expect) => {
      // Retry-After: 1 is honoured: no row was called again sooner than a second later.
      let retried = 0;
      for (const [key, times] of agent.arrivals) {
        for (let i = 1; i < times.length; i++) {
          retried++;
          expect(times[i]! - times[i - 1]!, `${key} retried early`).toBeGreaterThanOrEqual(950);
        }
      }
      expect(retried).toBeGreaterThan(0);
    },
  },
  { name: 'agent: 429 storm without Retry-After', rows: 200, agent: { failRate: 0.7, failStatus: 429, latencyMs: 5 }, execution: fast(3), evidence: /HTTP 429/ },
  {
    name: 'agent: every fault at once', rows: 250, agent: { hangRate: 0.1, resetRate: 0.1, malformedRate: 0.1, failRate: 0.2, failStatus: 503, latencyMs: 5 }, execution: fast(2, 200),
    evidence: /timed out|network error|invalid JSON|HTTP 503/,
  },
  { name: 'openai: hangs past the timeout', rows: 150, model: { id: 'gpt-4o-mini', behaviour: { hangRate: 0.3 } }, execution: fast(1, 300), evidence: /timed out after 300 ms/ },
  { name: 'openai: connection resets', rows: 150, model: { id: 'gpt-4o', behaviour: { resetRate: 0.35 } }, execution: fast(2), evidence: /ECONNRESET/ },
  { name: 'openai: truncated bodies', rows: 150, model: { id: 'gpt-4.1', behaviour: { malformedRate: 0.35 } }, execution: fast(2), evidence: /Invalid JSON response/ },
  { name: 'openai: 500 storm', rows: 150, model: { id: 'gpt-4.1-mini', behaviour: { failRate: 0.7, failStatus: 500 } }, execution: fast(3), evidence: /HTTP 500/ },
  { name: 'openai: 429 storm with Retry-After', rows: 150, model: { id: 'gpt-4.1-nano', behaviour: { failRate: 0.6, failStatus: 429, retryAfter: 1 } }, execution: { ...fast(2), concurrency: 50 }, evidence: /HTTP 429/ },
  { name: 'openai: 429 storm without Retry-After', rows: 150, model: { id: 'o4-mini', behaviour: { failRate: 0.7, failStatus: 429 } }, execution: fast(3), evidence: /HTTP 429/ },
];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-faults-provider-'));
  const models: Record<string, Partial<FakeModelBehaviour>> = {};
  for (const s of scenarios) if (s.model) models[s.model.id] = s.model.behaviour;
  openai = await startFakeOpenAI({ apiKey: OPENAI_KEY, latencyMs: 5, models, seed: 7 });
  server = await bootServing(dataDir, { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: openai.baseURL });
});

afterAll(async () => {
  await server?.stop();
  await Promise.all(agents.map((a) => a.close()));
  await openai?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function documentFor(s: Scenario, slug: string, agent: FakeAgent | null) {
  const execution = s.execution;
  if (agent) return agentExperiment(slug, agent.url, s.rows, { execution });
  return {
    slug, name: slug, execution,
    dataset: { rows: Array.from({ length: s.rows }, (_, i) => ({ question: `q${i}`, expected: `Echo: q${i}` })) },
    targets: [{ id: 'llm', type: 'prompt', model: `openai/${s.model!.id}`, params: { maxTokens: 20 }, messages: [{ role: 'user', content: '{{question}}' }] }],
    evaluators: [{ id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
  };
}

describe.concurrent('a run under provider faults ends whole', () => {
  scenarios.forEach((s, n) => {
    it(s.name, async ({ expect }) => {
      const agent = s.agent ? await startFakeAgent({ ...s.agent, seed: 100 + n }) : null;
      if (agent) agents.push(agent);
      const slug = `faults-${n}`;
      await server.client.json('POST', '/api/experiments', documentFor(s, slug, agent));
      const started = Date.now();
      const { runId } = await server.client.json<{ runId: string }>('POST', `/api/experiments/${slug}/run`);
      if (agent && s.after) {
        const { ms, behaviour } = s.after;
        setTimeout(() => agent.setBehaviour(behaviour), ms);
      }
      const ended = await server.client.waitForEnd(runId, 120_000);
      const shape: RunShape = { rows: s.rows, targetIds: [agent ? 'agent' : 'llm'], repeats: 1 };
      const { problems, cells, events } = await checkEndedRun(server.client, runId, shape);
      expect(problems).toEqual([]);
      // Enough cells succeed for the run to count as completed; a run where all failed must say why.
      expect(ended.status, JSON.stringify(ended.error)).toBe('completed');
      const reasons = [
        ...cells.map((c) => c.error ?? ''),
        ...events.flatMap((e) => (e.type === 'retrying' ? [e.reason] : [])),
      ];
      expect(reasons.some((r) => s.evidence.test(r)), `no ${s.evidence} among ${reasons.filter(Boolean).slice(0, 5).join(' | ')}`).toBe(true);
      s.check?.(agent!, expect);
      // Nothing hung: every attempt has a deadline, so a run ends in bounded time.
      expect(Date.now() - started).toBeLessThan(90_000);
    });
  });
});
