// Microbenchmark of the SQLite commit path: COMMITS commits of PER cells each, CPU ms per commit.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStores } from '../src/storage/index.js';
import type { CellDraft } from '../src/core/run-store.js';
const COMMITS = Number(process.env.COMMITS ?? 2000), PER = Number(process.env.PER ?? 3), LIVE = process.env.LIVE !== '0';
const stores = await openStores({ dataDir: mkdtempSync(path.join(tmpdir(), 'cm-')) });
await stores.projects.create({ id: 'p1', slug: 'one', name: 'One', createdAt: 1 });
const total = COMMITS * PER;
const run = {
  id: 'r1', projectId: 'p1', experimentId: 'e1', experimentSlug: 'exp', status: 'running', total, progress: 0,
  startedAt: 1_000, finishedAt: null, summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
  spec: { experimentId: 'e1', experimentSlug: 'exp', experimentVersion: 1, rows: { kind: 'inline' }, sourceRowCount: total / 2, rowIndices: null, parameters: {},
    targetIds: ['a', 'b'], evaluatorIds: ['exact'], repeats: 1, concurrency: 2, timeoutMs: 1_000, maxRetries: 0, budgetUsd: null, cache: false,
    baselineRunId: null, webhookUrl: null, metadata: {}, runUrl: 'http://x/r1' },
} as never;
await stores.runs.create(run);
await stores.runs.claim('r1', 'me', 1e15, 1);
const ev = { evaluatorId: 'exact', name: 'Exact', result: { status: 'processed', passed: true }, durationMs: 1 };
const summary = { runId: 'r1', totalCells: 6, completedCells: 6, failedCells: 0, duration: 10, timestamps: { startedAt: 1_000, finishedAt: 1_010 }, runUrl: 'u',
  totalPassed: 6, totalFailed: 0, passRate: 100, totalCost: 0, targetCost: 0, evaluatorCost: 0,
  targets: [{ targetId: 'a', name: 'a', passed: 1, failed: 0, errors: 0, avgLatency: 200, totalCost: 0, tokens: { input: 0, output: 0 } }, { targetId: 'b', name: 'b', passed: 1, failed: 0, errors: 0, avgLatency: 200, totalCost: 0, tokens: { input: 0, output: 0 } }],
  evaluators: ['x', 'y', 'z'].map((e) => ({ evaluatorId: e, name: e, passed: 1, failed: 0, errors: 0, skipped: 0, passRate: 100 })) } as never;
let n = 0;
const draft = (): CellDraft => { const c = n++; return { cell: c, rowIndex: c >> 1, targetId: c % 2 ? 'b' : 'a', repeat: 0, entry: { question: `question ${c}`, expected: `question ${c}` }, durationMs: 200, attempts: 1, retries: [], cached: false, ok: true, output: `question ${c}`, evaluations: [ev, ev, ev] } as never; };
const t0 = process.cpuUsage();
for (let i = 0; i < COMMITS; i++) await stores.runs.commitCells('r1', 'me', Array.from({ length: PER }, draft), 2_000 + i, LIVE ? summary : undefined);
const u = process.cpuUsage(t0);
console.log(`commits ${COMMITS} × ${PER} cells, live summary ${LIVE}: ${((u.user + u.system) / 1000 / COMMITS * 1000).toFixed(1)} µs CPU/commit`);
await stores.close();
