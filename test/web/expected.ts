// What the page should show, worked out in the test from the API's own results with the
// SPEC's rules (§5: a cell passes when its target succeeded and no evaluator returned
// passed:false or errored) — never from the page's code.
import type { TestAssay } from '../../src/testing/harness.js';

export interface ApiCell {
  index: number;
  targetId: string;
  repeat: number;
  entry: Record<string, unknown>;
  predicted?: { output: unknown };
  error: string | null;
}
export interface ApiEvaluation {
  evaluator: string;
  targetId: string;
  index: number;
  repeat: number;
  status: 'processed' | 'skipped' | 'error';
  passed: boolean | null;
  score: number | null;
}

export async function allResults(t: TestAssay, runId: string): Promise<{ cells: ApiCell[]; evaluations: ApiEvaluation[] }> {
  const cells: ApiCell[] = [];
  const evaluations: ApiEvaluation[] = [];
  // Pages end at 5,000 cells or 4 MB of cells: follow nextOffset.
  for (let offset: number | null = 0; offset !== null; ) {
    const page = (await (await t.req('GET', `/api/experiments/runs/${runId}/results?offset=${offset}&limit=5000`)).json()) as {
      dataset: ApiCell[];
      evaluations: ApiEvaluation[];
      pagination: { nextOffset: number | null };
    };
    cells.push(...page.dataset);
    evaluations.push(...page.evaluations);
    offset = page.pagination.nextOffset;
  }
  return { cells, evaluations };
}

export const key = (c: { index: number; targetId: string }) => `${c.index}:${c.targetId}`;

/** Cells (row:target) that did not pass, per SPEC §5. */
export function failedCells(r: { cells: ApiCell[]; evaluations: ApiEvaluation[] }): Set<string> {
  const out = new Set<string>();
  for (const c of r.cells) if (c.error !== null) out.add(key(c));
  for (const e of r.evaluations) if (e.status === 'error' || (e.status === 'processed' && e.passed === false)) out.add(key(e));
  return out;
}

/** Cells whose target or an evaluator errored. */
export function erroredCells(r: { cells: ApiCell[]; evaluations: ApiEvaluation[] }): Set<string> {
  const out = new Set<string>();
  for (const c of r.cells) if (c.error !== null) out.add(key(c));
  for (const e of r.evaluations) if (e.status === 'error') out.add(key(e));
  return out;
}

export async function waitForRun(t: TestAssay, runId: string, timeoutMs = 60_000): Promise<{ status: string; summary: { passRate: number; totalFailed: number } }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = (await (await t.req('GET', `/api/experiments/runs/${runId}`)).json()) as { status: string; summary: { passRate: number; totalFailed: number } };
    if (run.status !== 'running') return run;
    if (Date.now() > until) throw new Error(`run ${runId} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
