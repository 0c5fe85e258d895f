// A run's cost worked out before it starts, from what earlier finished runs of the same
// experiment paid per call: no I/O here (app/runs/estimate.ts reads the runs). Earlier runs are
// the only figure that includes what prices alone cannot give (how long the answers are, what a
// gateway charged), and an experiment that runs on every change has them.
import type { EstimateBasis, EvaluatorEstimate, RunEstimate, TargetEstimate } from '../model/estimate.js';
import type { RunSpec } from '../model/run.js';
import type { RunSummary } from '../model/summary.js';
import { planTotal, rowsInScope } from './plan.js';

/** Earlier runs a figure is taken from, at most (the newest that qualify). */
export const ESTIMATE_RUNS = 5;

/**
 * A prompt target priced from its model's price, for a run with no earlier calls of it (the
 * app renders its prompts for a sample of the rows and asks the price table).
 */
export interface PriceFigure {
  rowsSampled: number;
  inputTokensPerCell: number;
  /** The target's maxTokens; absent when it sets none (the answers' length is then unknown). */
  outputTokensPerCell?: number;
  /** USD a cell for those tokens; absent when the model has no known price. */
  costPerCell?: number;
}

/** What the estimate knows besides the history: prices of targets without one, evaluators that call no model. */
export interface EstimateExtras {
  prices?: ReadonlyMap<string, PriceFigure>;
  /** Evaluators that call no model. */
  noModel?: ReadonlySet<string>;
  /** Targets whose calls cost nothing (code, in the sandbox). */
  freeTargets?: ReadonlySet<string>;
}

/** A finished earlier run of the experiment, as the estimate reads it. */
export interface PastRun {
  id: string;
  experimentVersion: number;
  summary: RunSummary;
}

interface Part {
  basis: EstimateBasis;
  costPerCell?: number;
  estimatedCost?: number;
  fromRuns: string[];
}

/** Runs at the current version if any qualify, else at earlier ones; newest first, at most ESTIMATE_RUNS. */
function pick<R extends PastRun>(qualifying: R[], version: number): { runs: R[]; sameVersion: boolean } {
  const same = qualifying.filter((r) => r.experimentVersion === version);
  return same.length > 0 ? { runs: same.slice(0, ESTIMATE_RUNS), sameVersion: true } : { runs: qualifying.slice(0, ESTIMATE_RUNS), sameVersion: false };
}

/** The part's figure from the runs' cost and what it was spread over (priced calls, or cells). */
function part(cells: number, runs: PastRun[], sameVersion: boolean, cost: number, over: number, unpriced = true): Part {
  const fromRuns = runs.map((r) => r.id);
  if (runs.length === 0) return { basis: 'none', fromRuns };
  if (over === 0 && unpriced) return { basis: 'unpriced', fromRuns };
  const costPerCell = over === 0 ? 0 : cost / over;
  return { basis: sameVersion ? 'history' : 'older_versions', costPerCell, estimatedCost: costPerCell * cells, fromRuns };
}

function targetPart(targetId: string, cells: number, history: PastRun[], version: number): TargetEstimate {
  const called = history.filter((r) => {
    const t = r.summary.targets.find((s) => s.targetId === targetId);
    return t !== undefined && t.passed + t.failed - t.errors > 0;
  });
  const { runs, sameVersion } = pick(called, version);
  let cost = 0;
  let priced = 0;
  for (const r of runs) {
    const t = r.summary.targets.find((s) => s.targetId === targetId)!;
    cost += t.totalCost;
    priced += t.passed + t.failed - t.errors - (t.unpricedCalls ?? 0);
  }
  const p = part(cells, runs, sameVersion, cost, priced);
  return { targetId, cells, basis: p.basis, ...(p.costPerCell !== undefined ? { costPerCell: p.costPerCell, estimatedCost: p.estimatedCost! } : {}), fromRuns: p.fromRuns };
}

/** A target no earlier run called, from its prices: at most (answers at maxTokens) or, without maxTokens, at least. */
function pricedPart(t: TargetEstimate, f: PriceFigure): TargetEstimate {
  if (f.costPerCell === undefined) return t;
  const out: TargetEstimate = {
    targetId: t.targetId, cells: t.cells, basis: f.outputTokensPerCell !== undefined ? 'prices' : 'prices_input',
    costPerCell: f.costPerCell, estimatedCost: f.costPerCell * t.cells, fromRuns: [],
    inputTokensPerCell: f.inputTokensPerCell, rowsSampled: f.rowsSampled,
  };
  if (f.outputTokensPerCell !== undefined) out.outputTokensPerCell = f.outputTokensPerCell;
  return out;
}

/**
 * An evaluator: its cost per cell of the runs it ran in (so an evaluator limited to some targets,
 * or comparing a row's targets, is counted as it was run). From summaries that keep evaluators'
 * costs apart (since 2026-12-06). One that calls no model costs 0. A judge whose calls had no
 * price is `unpriced`; one with some priced calls and some not gives the priced ones' figure, a
 * lower bound (`partial`). (Summaries written before its calls were counted read as $0.)
 */
function evaluatorPart(evaluatorId: string, cells: number, history: PastRun[], version: number): EvaluatorEstimate & { partial: boolean } {
  const ran = history.filter((r) => {
    const e = r.summary.evaluators.find((x) => x.evaluatorId === evaluatorId);
    return r.summary.totalCells > 0 && e?.totalCost !== undefined && evaluated(e) > 0;
  });
  const { runs, sameVersion } = pick(ran, version);
  let cost = 0;
  let runCells = 0;
  let unpriced = 0;
  for (const r of runs) {
    const e = r.summary.evaluators.find((x) => x.evaluatorId === evaluatorId)!;
    cost += e.totalCost!;
    unpriced += e.unpricedCalls ?? 0;
    // The run's cells, less the share on which it was skipped (its cell's target call
    // failed) or errored: a run assumes every call succeeds, and then the evaluator runs on those too.
    runCells += e.results ? (r.summary.totalCells * evaluated(e)) / e.results : r.summary.totalCells;
  }
  // Unpriced only when no call had a cost: a cost of 0 with no unpriced call is a free evaluator.
  const p = unpriced > 0 && cost === 0 ? part(cells, runs, sameVersion, 0, 0) : part(cells, runs, sameVersion, cost, runCells, false);
  return {
    evaluatorId, cells, basis: p.basis, ...(p.costPerCell !== undefined ? { costPerCell: p.costPerCell, estimatedCost: p.estimatedCost! } : {}), fromRuns: p.fromRuns,
    partial: unpriced > 0 && known(p.basis),
  };
}

/**
 * Results of an evaluator that came from a call: not skipped, not an error. A judge skipped on
 * every cell (each target call failed) or erroring on every cell (no key for its model) made no
 * priced call: its $0 says nothing of its price (review of 2026-12-06: "$0 a cell, from 1
 * earlier run" for a judge that never ran). Summaries written before `results` was counted
 * tell it from the verdicts.
 */
function evaluated(e: RunSummary['evaluators'][number]): number {
  if (e.results !== undefined) return e.results - e.skipped - e.errors;
  return e.passed + e.failed + (e.avgScore !== undefined || e.labels !== undefined ? 1 : 0);
}

function known(basis: EstimateBasis): boolean {
  return basis === 'history' || basis === 'older_versions' || basis === 'prices' || basis === 'no_model';
}

/**
 * The estimate of a run of `spec`, from `history`: finished runs of the experiment, newest first.
 * Every target call is assumed to succeed once (failed calls and retries are not priced).
 */
export function estimateRun(
  spec: Pick<RunSpec, 'experimentSlug' | 'experimentVersion' | 'rowIndices' | 'sourceRowCount' | 'targetIds' | 'evaluatorIds' | 'repeats' | 'budgetUsd'>,
  history: PastRun[],
  extras: EstimateExtras = {},
): RunEstimate {
  const total = planTotal(spec);
  const perTarget = rowsInScope(spec) * spec.repeats;
  // Earlier runs first: what was paid includes what prices cannot know (answer lengths, a gateway's charges).
  const targets = spec.targetIds.map((id) => {
    const t = targetPart(id, perTarget, history, spec.experimentVersion);
    if (t.basis === 'none' && extras.freeTargets?.has(id)) return { targetId: id, cells: perTarget, basis: 'no_model' as const, costPerCell: 0, estimatedCost: 0, fromRuns: [] };
    const f = extras.prices?.get(id);
    return t.basis === 'none' && f ? pricedPart(t, f) : t;
  });
  const withPartial = spec.evaluatorIds.map((id) => {
    const e = evaluatorPart(id, total, history, spec.experimentVersion);
    if (e.basis !== 'none' || !extras.noModel?.has(id)) return e;
    return { evaluatorId: id, cells: total, basis: 'no_model' as const, costPerCell: 0, estimatedCost: 0, fromRuns: [], partial: false };
  });
  const evaluators: EvaluatorEstimate[] = withPartial.map(({ partial: _, ...e }) => e);
  const parts = [...targets, ...evaluators];
  const estimatedCost = parts.reduce((sum, p) => sum + (p.estimatedCost ?? 0), 0);
  const complete = parts.every((p) => known(p.basis)) && !withPartial.some((e) => e.partial);
  return {
    experimentSlug: spec.experimentSlug,
    experimentVersion: spec.experimentVersion,
    total,
    targets,
    evaluators,
    estimatedCost,
    complete,
    budgetUsd: spec.budgetUsd,
    ...(spec.budgetUsd !== null ? { overBudget: estimatedCost > spec.budgetUsd } : {}),
  };
}
