// Folds committed cells into the SPEC §5 summary. Incremental (one add per cell, O(targets +
// evaluators) memory) so it is current while a run goes and can be rebuilt from storage.
import type { CellResult, EvaluatorSummary, RowResult, RunSummary, StopReason, StoredEvaluation, TargetSummary } from '../model/run.js';
import { ErrorGroups } from './error-groups.js';

interface TargetAcc {
  name: string;
  passed: number;
  failed: number;
  errors: number;
  latencySum: number;
  latencyCount: number;
  cost: number;
  /** Successful calls with no known cost. */
  unpriced: number;
  tokensIn: number;
  tokensOut: number;
}

interface EvaluatorAcc {
  name: string;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  scoreSum: number;
  scoreCount: number;
  processed: number;
  labels: Map<string, number>;
  cost: number;
  /** Model calls of its results with no known cost. */
  unpriced: number;
}

/** A cell passes when its target succeeded and no evaluator said passed:false or errored. */
export function cellPassed(cell: Pick<CellResult, 'ok' | 'evaluations'>, informational: ReadonlySet<string> = new Set()): boolean {
  if (!cell.ok) return false;
  return cell.evaluations.every(
    (e) => informational.has(e.evaluatorId) || !(e.result.status === 'error' || (e.result.status === 'processed' && e.result.passed === false)),
  );
}

export class Aggregator {
  private readonly targets = new Map<string, TargetAcc>();
  private readonly evaluators = new Map<string, EvaluatorAcc>();
  private readonly informational: ReadonlySet<string>;
  private cells = 0;
  private completed = 0;
  private passed = 0;
  private targetCost = 0;
  private evaluatorCost = 0;
  private unpriced = 0;
  private evaluatorUnpriced = 0;
  private readonly errorGroups = new ErrorGroups();
  /** Weighted pass/fail verdicts (errors count as failing) and weighted scores, over every evaluation. */
  private weighted = { passWeight: 0, verdictWeight: 0, scoreSum: 0, scoreWeight: 0 };

  /**
   * @param targets target ids and names in configuration order
   * @param evaluators evaluator ids and names in configuration order
   * @param weights evaluator weights (default 1); weight 0 is informational: reported, but it
   *   never decides a cell and counts nothing in the weighted figures
   */
  constructor(
    targets: { id: string; name: string }[],
    evaluators: { id: string; name: string }[],
    private readonly weights: ReadonlyMap<string, number> = new Map(),
  ) {
    this.informational = new Set([...weights].filter(([, w]) => w === 0).map(([id]) => id));
    for (const t of targets) this.targets.set(t.id, { name: t.name, passed: 0, failed: 0, errors: 0, latencySum: 0, latencyCount: 0, cost: 0, unpriced: 0, tokensIn: 0, tokensOut: 0 });
    for (const e of evaluators) this.evaluators.set(e.id, { name: e.name, passed: 0, failed: 0, errors: 0, skipped: 0, scoreSum: 0, scoreCount: 0, processed: 0, labels: new Map(), cost: 0, unpriced: 0 });
  }

  /** Spent so far, target and evaluator calls together (for budgets). */
  get spent(): number {
    return this.targetCost + this.evaluatorCost;
  }

  get committed(): number {
    return this.cells;
  }

  /** Committed target calls by outcome (for the run's error limit). */
  get calls(): { succeeded: number; failed: number } {
    return { succeeded: this.completed, failed: this.cells - this.completed };
  }

  add(cell: Pick<CellResult, 'targetId' | 'ok' | 'durationMs' | 'cost' | 'tokens' | 'evaluations'> & { error?: string | undefined }): void {
    this.cells++;
    const t = this.targets.get(cell.targetId);
    const ok = cell.ok;
    const pass = cellPassed(cell, this.informational);
    if (ok) this.completed++;
    if (pass) this.passed++;
    this.targetCost += cell.cost ?? 0;
    // A failed call has no cost to know; a successful one without a cost is unpriced, not free.
    const unpriced = ok && cell.cost === undefined;
    if (unpriced) this.unpriced++;
    if (!ok) this.errorGroups.add({ targetId: cell.targetId }, cell.error ?? 'failed');
    if (t) {
      if (pass) t.passed++;
      else t.failed++;
      if (!ok) t.errors++;
      else {
        t.latencySum += cell.durationMs;
        t.latencyCount++;
      }
      t.cost += cell.cost ?? 0;
      if (unpriced) t.unpriced++;
      t.tokensIn += cell.tokens?.input ?? 0;
      t.tokensOut += cell.tokens?.output ?? 0;
    }
    for (const e of cell.evaluations) this.addEvaluation(e.evaluatorId, e.result);
  }

  /** A row-scoped evaluator's result (N-way comparison): counts for its evaluator only. */
  addRow(row: Pick<RowResult, 'evaluatorId' | 'evaluation'>): void {
    this.addEvaluation(row.evaluatorId, row.evaluation.result);
  }

  private addEvaluation(evaluatorId: string, r: StoredEvaluation['result']): void {
    this.evaluatorCost += r.cost ?? 0;
    this.evaluatorUnpriced += r.unpricedCalls ?? 0;
    if (r.status === 'error') this.errorGroups.add({ evaluatorId }, r.details ?? 'error');
    const acc = this.evaluators.get(evaluatorId);
    if (!acc) return;
    acc.cost += r.cost ?? 0;
    acc.unpriced += r.unpricedCalls ?? 0;
    const w = this.weights.get(evaluatorId) ?? 1;
    if (r.status === 'error') this.weighted.verdictWeight += w;
    else if (r.status === 'processed') {
      if (r.passed !== undefined) {
        this.weighted.verdictWeight += w;
        if (r.passed) this.weighted.passWeight += w;
      }
      if (r.score !== undefined && Number.isFinite(r.score)) {
        this.weighted.scoreSum += w * r.score;
        this.weighted.scoreWeight += w;
      }
    }
    if (r.status === 'error') acc.errors++;
    else if (r.status === 'skipped') acc.skipped++;
    else {
      acc.processed++;
      if (r.passed === true) acc.passed++;
      else if (r.passed === false) acc.failed++;
      if (r.score !== undefined && Number.isFinite(r.score)) {
        acc.scoreSum += r.score;
        acc.scoreCount++;
      }
      if (r.label !== undefined) acc.labels.set(r.label, (acc.labels.get(r.label) ?? 0) + 1);
    }
  }

  summary(meta: {
    runId: string;
    runUrl: string;
    startedAt: number;
    finishedAt: number;
    /** ms the run's earlier executions ran (RunRecord.earlierRunningMs); default 0. */
    earlierRunningMs?: number | undefined;
    /** When the current execution began (RunRecord.executionStartedAt); default startedAt. */
    executionStartedAt?: number | undefined;
    stopReason?: StopReason | undefined;
    thresholdPassRate?: number | undefined;
  }): RunSummary {
    const round = (n: number) => Math.round(n * 1e8) / 1e8;
    const targets: TargetSummary[] = [...this.targets].map(([targetId, t]) => ({
      targetId, name: t.name, passed: t.passed, failed: t.failed, errors: t.errors,
      ...(t.latencyCount > 0 ? { avgLatency: Math.round(t.latencySum / t.latencyCount) } : {}),
      totalCost: round(t.cost), ...(t.unpriced > 0 ? { unpricedCalls: t.unpriced } : {}), tokens: { input: t.tokensIn, output: t.tokensOut },
    }));
    const evaluators: EvaluatorSummary[] = [...this.evaluators].map(([evaluatorId, e]) => {
      const counted = e.processed + e.errors;
      return {
        evaluatorId, name: e.name, passed: e.passed, failed: e.failed, errors: e.errors, skipped: e.skipped,
        passRate: counted > 0 ? round(((counted - e.failed - e.errors) / counted) * 100) : 0,
        ...(e.scoreCount > 0 ? { avgScore: round(e.scoreSum / e.scoreCount) } : {}),
        ...(e.labels.size > 0 ? { labels: Object.fromEntries(e.labels) } : {}),
        totalCost: round(e.cost),
        ...(e.unpriced > 0 ? { unpricedCalls: e.unpriced } : {}),
        results: e.processed + e.errors + e.skipped,
      };
    });
    const passRate = this.cells > 0 ? round((this.passed / this.cells) * 100) : 0;
    const summary: RunSummary = {
      runId: meta.runId,
      totalCells: this.cells,
      completedCells: this.completed,
      failedCells: this.cells - this.completed,
      duration: Math.max(0, meta.finishedAt - meta.startedAt),
      runningTime: Math.max(0, (meta.earlierRunningMs ?? 0) + meta.finishedAt - (meta.executionStartedAt ?? meta.startedAt)),
      timestamps: { startedAt: meta.startedAt, finishedAt: meta.finishedAt },
      runUrl: meta.runUrl,
      totalPassed: this.passed,
      totalFailed: this.cells - this.passed,
      passRate,
      totalCost: round(this.targetCost + this.evaluatorCost),
      targetCost: round(this.targetCost),
      evaluatorCost: round(this.evaluatorCost),
      ...(this.unpriced > 0 ? { unpricedCalls: this.unpriced } : {}),
      ...(this.evaluatorUnpriced > 0 ? { evaluatorUnpricedCalls: this.evaluatorUnpriced } : {}),
      targets,
      evaluators,
    };
    const wv = this.weighted;
    if (wv.verdictWeight > 0) summary.weightedPassRate = round((wv.passWeight / wv.verdictWeight) * 100);
    if (wv.scoreWeight > 0) summary.weightedAvgScore = round(wv.scoreSum / wv.scoreWeight);
    if (meta.stopReason) summary.stopReason = meta.stopReason;
    const topErrors = this.errorGroups.top();
    if (topErrors.length > 0) summary.topErrors = topErrors;
    if (meta.thresholdPassRate !== undefined) summary.threshold = { passRate: meta.thresholdPassRate, met: passRate >= meta.thresholdPassRate };
    return summary;
  }
}
