import { api, startAgent, startServer, waitDone } from './servers.js';
import { cpuMs } from './proc.js';
const EVALUATORS = [
  { id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
  { id: 'rules', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'not_contains', value: 'error' }] } },
  { id: 'competitors', type: 'langevals/competitor_blocklist' },
];
// ROWS, LATENCY (agent ms) and CONC (concurrency) change the scenario: e.g. ROWS=400 LATENCY=50 CONC=10.
const n = Number(process.env.ROWS ?? 1000), runs = Number(process.env.RUNS ?? 8);
// WATCH=poll waits by polling the run (LangWatch's clients); the default watches the SSE stream.
const poll = process.env.WATCH === 'poll';
const settled = async (base: string, runId: string) => {
  if (!poll) return waitDone(base, runId);
  while ((await api(base, 'GET', `/api/experiments/runs/${runId}`)).status === 'running') await new Promise((r) => setTimeout(r, 250));
};
const agent = await startAgent(Number(process.env.LATENCY ?? 0));
const server = await startServer();
await api(server.base, 'POST', '/api/experiments', {
  slug: 'cpu', name: 'cpu',
  dataset: { rows: Array.from({ length: n }, (_, i) => ({ question: `question ${i}`, expected: `question ${i}` })) },
  targets: ['a', 'b'].map((id) => ({ id, type: 'http', url: `${agent.url}/${id}`, body: { message: '{{question}}' }, outputPath: '$.reply' })),
  evaluators: EVALUATORS, execution: { concurrency: Number(process.env.CONC ?? 50), maxRetries: 0 },
});
const per: number[] = [];
for (let i = 0; i < runs; i++) {
  const c0 = cpuMs(server.pid);
  const s = await api(server.base, 'POST', '/api/experiments/cpu/run');
  await settled(server.base, s.runId);
  per.push((cpuMs(server.pid) - c0) / s.total);
}
console.log(per.map((x) => x.toFixed(3)).join(' '), 'median-after-warm', (per.slice(1).sort((a, b) => a - b)[Math.floor((runs - 1) / 2)] ?? 0).toFixed(3));
await server.stop(); await agent.stop();
