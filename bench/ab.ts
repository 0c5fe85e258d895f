// Old against new, side by side: the server CPU per cell of two builds of Assay on the same
// workload, with their runs interleaved (old, new, new, old, old, new, …) so that whatever else
// loads this shared machine falls on both alike. Single runs move ±20% here from one to the
// next; a ratio of medians over interleaved runs, with a bootstrap interval, is what supports a
// "within 5%" claim (issue "one run schema", done-when 5).
//
//   AB_OLD=/work/wt-old/bin/assay.js npx tsx bench/ab.ts
//   AB_OLD=bin/assay.js AB_NEW_ARGS=--heap-growing-percent=30 npx tsx bench/ab.ts   (one build, two V8 settings)
//
// AB_OLD is the other build's entry point (a worktree of the old commit, built with `tsc` so
// neither side transpiles at run time). ROWS (default 1000; two targets, so 2 cells a row),
// LATENCY (the agent's answer delay, ms, default 0), CONC (default 50), PAIRS (default 10) and
// WATCH=sse (wait on the SSE stream, as the CLI does; default: poll like LangWatch's clients)
// choose the scenario; TARGET=prompt makes the two targets `openai/…` prompts on the fake
// OpenAI server instead of HTTP targets on the fake agent. The first run of each server is a warm-up and is not counted.
import { cpuMs } from './proc.js';
import { api, OPENAI_KEY, type Server, SERVE_NODE_FLAGS, startAgent, startOpenAI, startServer, waitDone } from './servers.js';

const oldBin = process.env.AB_OLD;
if (!oldBin) {
  console.error('AB_OLD must name the other build\'s bin/assay.js');
  process.exit(2);
}
const rows = Number(process.env.ROWS ?? 1000);
const pairs = Number(process.env.PAIRS ?? 10);
const concurrency = Number(process.env.CONC ?? 50);
const latency = Number(process.env.LATENCY ?? 0);
const sse = process.env.WATCH === 'sse';
const prompt = process.env.TARGET === 'prompt';

const EVALUATORS = [
  { id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
  { id: 'rules', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'not_contains', value: 'error' }] } },
  { id: 'competitors', type: 'langevals/competitor_blocklist' },
];

const settled = async (base: string, runId: string): Promise<void> => {
  if (sse) return waitDone(base, runId);
  while ((await api(base, 'GET', `/api/experiments/runs/${runId}`)).status === 'running') await new Promise((r) => setTimeout(r, 250));
};

/** One run on `server`: its CPU ms per cell. */
async function runOnce(server: Server): Promise<number> {
  const c0 = cpuMs(server.pid);
  const started = await api(server.base, 'POST', '/api/experiments/ab/run');
  await settled(server.base, started.runId);
  return (cpuMs(server.pid) - c0) / started.total;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** 90% bootstrap interval of median(news) / median(olds), resampling the pairs. */
function interval(olds: number[], news: number[]): [number, number] {
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const ratios: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const picks = olds.map(() => Math.floor(random() * olds.length));
    ratios.push(median(picks.map((p) => news[p]!)) / median(picks.map((p) => olds[p]!)));
  }
  ratios.sort((a, b) => a - b);
  return [ratios[Math.floor(ratios.length * 0.05)]!, ratios[Math.floor(ratios.length * 0.95)]!];
}

const agent = prompt ? null : await startAgent(latency);
const openai = prompt ? await startOpenAI(latency) : null;
const providerEnv: Record<string, string> = openai ? { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: openai.baseURL } : {};
// AB_OLD_ENV / AB_NEW_ENV (JSON objects) add variables to one side's server, e.g. to compare one build with a setting on and off.
const envOf = (name: string): Record<string, string> => JSON.parse(process.env[name] ?? '{}') as Record<string, string>;
// AB_OLD_ARGS / AB_NEW_ARGS (space-separated) add node flags to one side, e.g. to compare V8 settings on one build.
const argsOf = (name: string): string[] => process.env[name]?.split(' ').filter(Boolean) ?? [];
const servers = {
  old: await startServer({ ...providerEnv, ...envOf('AB_OLD_ENV') }, [...SERVE_NODE_FLAGS, ...argsOf('AB_OLD_ARGS')], false, oldBin),
  new: await startServer({ ...providerEnv, ...envOf('AB_NEW_ENV') }, [...SERVE_NODE_FLAGS, ...argsOf('AB_NEW_ARGS')]),
};
const doc = {
  slug: 'ab', name: 'ab',
  dataset: { rows: Array.from({ length: rows }, (_, i) => ({ question: `question ${i}`, expected: `question ${i}` })) },
  targets: agent
    ? ['a', 'b'].map((id) => ({ id, type: 'http', url: `${agent.url}/${id}`, body: { message: '{{question}}' }, outputPath: '$.reply' }))
    : ['gpt-4o-mini', 'gpt-4o'].map((m) => ({ id: m, type: 'prompt', model: `openai/${m}`, params: { temperature: 0, maxTokens: 64 }, messages: [{ role: 'user', content: '{{question}}' }] })),
  evaluators: EVALUATORS,
  execution: { concurrency, maxRetries: 0 },
};
for (const s of Object.values(servers)) {
  await api(s.base, 'POST', '/api/experiments', doc);
  await runOnce(s);
}
const olds: number[] = [];
const news: number[] = [];
console.log(`${rows * 2} ${prompt ? 'prompt' : 'HTTP'} cells a run, latency ${latency} ms, concurrency ${concurrency}, ${sse ? 'SSE watcher' : 'polling'}, ${pairs} pairs`);
for (let i = 0; i < pairs; i++) {
  // ABBA order: a drift in the machine's load over a pair falls on both sides equally.
  const order: ('old' | 'new')[] = i % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
  const got: Record<string, number> = {};
  for (const side of order) got[side] = await runOnce(servers[side]);
  olds.push(got.old!);
  news.push(got.new!);
  console.log(`pair ${i + 1}: old ${got.old!.toFixed(3)}  new ${got.new!.toFixed(3)} ms/cell  (${((got.new! / got.old! - 1) * 100).toFixed(0)}%)`);
}
const [lo, hi] = interval(olds, news);
const pct = (r: number) => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%`;
console.log(`median old ${median(olds).toFixed(3)}  new ${median(news).toFixed(3)} ms/cell: new/old ${pct(median(news) / median(olds))} (90% interval ${pct(lo)} … ${pct(hi)}); median of pair ratios ${pct(median(news.map((n, i) => n / olds[i]!)))}`);
await Promise.all([servers.old.stop(), servers.new.stop(), agent?.stop(), openai?.stop()]);
