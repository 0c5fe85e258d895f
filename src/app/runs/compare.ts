// Comparing two runs (SPEC §5 "Comparisons"): which run is the baseline, how rows pair up, and
// both runs streamed from storage in row order into the fold (core/compare/fold.ts). Rows of
// the same dataset version pair by index with a merge join (both streams are in row-index
// order, so nothing accumulates); otherwise by a hash of the row's data without the run's
// parameters, for which the baseline's compact per-row values are held in a map.
import { createHash } from 'node:crypto';
import { AssayError, runNotFound, ValidationError } from '../../core/errors.js';
import type { ComparisonFold, PendingItem } from '../../core/compare/fold.js';
import { headLength, itemOutput, type OutputHead } from '../../core/compare/item-output.js';
import { addCell, type RowValues } from '../../core/compare/row-values.js';
import type { CompareItem, Comparison, CompareQuery } from '../../core/model/compare.js';
import type { ExperimentDocument } from '../../core/model/experiment.js';
import type { Project } from '../../core/model/records.js';
import type { LeanCell, RunRecord, RunSpec } from '../../core/model/run.js';
import type { Stores } from '../../core/ports.js';
import { csvText } from './exports.js';
import { type EvaluatorCatalogue, evaluatorsOfTarget } from './prepare.js';
import { rowGroups } from './row-stream.js';

/** Outputs in comparison items are cut to this many characters (the results have them whole). */
export const ITEM_OUTPUT_CHARS = 4000;

type CompareStores = Pick<Stores, 'runs' | 'experiments'>;

/** One row of one run on its way to the join: its key and its values. */
interface KeyedRow {
  key: string;
  /** Index mode: row index and occurrence (row_indices may repeat a row), compared as numbers. */
  rowIndex: number;
  occurrence: number;
  values: RowValues;
}

export type JoinStep = { kind: 'cell'; side: 'baseline' | 'candidate'; cell: LeanCell } | { kind: 'pair'; base: RowValues; cand: RowValues } | { kind: 'unmatched'; side: 'baseline' | 'candidate' };

/** True when both runs read the same rows: the same experiment or dataset, at the same version. */
export function sameRows(a: RunSpec, b: RunSpec): boolean {
  const x = a.rows, y = b.rows;
  if (x.kind === 'experiment' && y.kind === 'experiment') return x.experimentId === y.experimentId && x.version === y.version;
  if (x.kind === 'dataset' && y.kind === 'dataset') return x.datasetId === y.datasetId && x.version === y.version;
  return false;
}

/** How many earlier finished runs `previous` weighs for one that covers the candidate's rows. */
const PREVIOUS_LOOKS = 200;

/**
 * True when `base` ran every row of `candidate`'s, so that `previous` compares the whole run.
 * Of the same rows (`sameRows`: paired by index) a run of every row covers any selection and a
 * partial run a selection within its own indices. Of other rows (another version, a dataset, or
 * inline data: paired by content) indices name other rows, so only a run of every row of its
 * source, at least as many as the candidate runs, covers it: its rows are not read to check
 * they hold the candidate's. Either way the run ran every cell it planned (one stopped or
 * failed part-way has rows it never ran).
 */
export function covers(base: Pick<RunRecord, 'progress' | 'total' | 'spec'>, candidate: RunSpec): boolean {
  if (base.progress < base.total) return false;
  const own = base.spec.rowIndices;
  if (!sameRows(base.spec, candidate)) return own === null && base.spec.sourceRowCount >= (candidate.rowIndices?.length ?? candidate.sourceRowCount);
  if (own === null) return true;
  if (candidate.rowIndices === null && own.length < candidate.sourceRowCount) return false;
  const has = new Set(own);
  if (candidate.rowIndices === null) {
    for (let i = 0; i < candidate.sourceRowCount; i++) if (!has.has(i)) return false;
    return true;
  }
  return candidate.rowIndices.every((i) => has.has(i));
}

/** A row's content key: its data without the run's parameters (which change between runs by design). */
function contentHash(entry: Record<string, unknown> | undefined, parameters: Record<string, unknown>): string {
  const data = Object.fromEntries(Object.entries(entry ?? {}).filter(([k]) => !(k in parameters)).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update(JSON.stringify(data)).digest('base64url');
}

export class CompareService {
  constructor(
    private readonly stores: CompareStores,
    private readonly catalogue: EvaluatorCatalogue,
  ) {}

  /** The candidate and its baseline: `?baseline=` (a run id or `previous`), else the run's baselineRunId, else previous. */
  async resolve(project: Project, runId: string, baseline: string | undefined): Promise<{ candidate: RunRecord; baseline: RunRecord }> {
    const candidate = await this.stores.runs.get(project.id, runId);
    if (!candidate) throw runNotFound(runId);
    const wanted = baseline ?? candidate.spec.baselineRunId ?? 'previous';
    const base = wanted === 'previous' ? await this.previous(project, candidate) : await this.stores.runs.get(project.id, wanted);
    if (!base) {
      if (wanted !== 'previous') throw runNotFound(wanted);
      throw new AssayError('run_not_found', `Run ${runId} has no previous finished run in experiment "${candidate.experimentSlug}" to compare with; pass ?baseline=RUN_ID`, {
        meta: { runId, baseline: 'previous' },
      });
    }
    if (base.id === candidate.id) throw new ValidationError('A run cannot be its own baseline', [{ path: ['baseline'], message: 'same run as the candidate' }]);
    return { candidate, baseline: base };
  }

  /**
   * `previous`: the newest finished run of the same experiment, started before `run`, whose rows
   * cover the candidate's (`covers`); a partial re-run ("Re-run failed rows", `--rows`) is passed
   * over for an earlier run of every row. When no earlier run covers it (the first full run
   * after partial ones), the newest finished earlier run, as before: the comparison then says how
   * many rows matched. Pages of 50 as listed until the list ends, as before; at most
   * PREVIOUS_LOOKS earlier finished runs are weighed for a cover.
   */
  private async previous(project: Project, run: RunRecord): Promise<RunRecord | null> {
    let newest: RunRecord | null = null;
    let looked = 0;
    for (let page = 1; ; page++) {
      const { items } = await this.stores.runs.list(project.id, run.experimentId, { page, pageSize: 50 });
      for (const r of items) {
        if (r.id === run.id || r.finishedAt === null || r.startedAt > run.startedAt) continue;
        newest ??= r;
        if (covers(r, run.spec)) return r;
        if (++looked >= PREVIOUS_LOOKS) return newest;
      }
      if (items.length < 50) return newest;
    }
  }

  async compare(project: Project, runId: string, query: CompareQuery): Promise<Comparison> {
    const { candidate, baseline } = await this.resolve(project, runId, query.baseline);
    const { fold, matchedBy } = await this.fold(candidate, baseline, query);
    const steps = this.join(candidate, baseline, matchedBy);
    for await (const step of steps) feed(fold, step);
    const items = await this.withOutputs(candidate, baseline, fold.items);
    const result = fold.result({ runId: candidate.id, baselineRunId: baseline.id, matchedBy });
    return { ...result, rows: { ...result.rows, items } };
  }

  /** Every compared row × target × evaluator, as JSON Lines or CSV, in row order. */
  async export(project: Project, runId: string, baselineParam: string | undefined, format: 'csv' | 'jsonl'): Promise<{ candidate: RunRecord; baseline: RunRecord; chunks: AsyncGenerator<string> }> {
    const { candidate, baseline } = await this.resolve(project, runId, baselineParam);
    const { fold, matchedBy } = await this.fold(candidate, baseline, { alpha: 0.05, change: 'all', offset: 0, limit: Number.MAX_SAFE_INTEGER });
    const steps = this.join(candidate, baseline, matchedBy);
    const withOutputs = (items: PendingItem[]) => this.withOutputs(candidate, baseline, items);
    async function* chunks(): AsyncGenerator<string> {
      // Loaded on the first CSV export, not at start-up (docs/benchmarks.md, "Memory").
      const { stringify } = await import('csv-stringify/sync');
      if (format === 'csv') {
        yield stringify([['rowIndex', 'baselineRowIndex', 'targetId', 'evaluatorId', 'change', 'baselinePassed', 'candidatePassed', 'baselineScore', 'candidateScore', 'baselineOutput', 'candidateOutput']]);
      }
      const flush = async () => {
        const items = await withOutputs(fold.items.splice(0));
        if (items.length === 0) return '';
        if (format === 'jsonl') return items.map((i) => JSON.stringify(i)).join('\n') + '\n';
        const text = (v: unknown) => csvText(v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
        return stringify(
          items.map((i) => [i.rowIndex, i.baselineRowIndex, text(i.targetId), text(i.evaluatorId), i.change, text(i.baseline.passed), text(i.candidate.passed), text(i.baseline.score), text(i.candidate.score), text(i.baseline.output), text(i.candidate.output)]),
        );
      };
      for await (const step of steps) {
        feed(fold, step);
        if (fold.items.length >= 500) yield await flush();
      }
      const rest = await flush();
      if (rest) yield rest;
    }
    return { candidate, baseline, chunks: chunks() };
  }

  private async fold(candidate: RunRecord, baseline: RunRecord, query: Pick<CompareQuery, 'alpha' | 'change' | 'offset' | 'limit'>) {
    const [cDoc, bDoc] = await Promise.all([this.document(candidate), this.document(baseline)]);
    const names = new Map<string, string>();
    // The same name the summaries and results give: the document's, else the catalogue's.
    for (const doc of [bDoc, cDoc]) for (const e of doc?.evaluators ?? []) names.set(e.id, e.name ?? this.catalogue.find(e.type)?.name ?? e.id);
    // Loaded on the first comparison, not at start-up: its tests need the statistics packages (≈ 4 MB of heap).
    const { ComparisonFold } = await import('../../core/compare/fold.js');
    const fold = new ComparisonFold({ ...query, names, singleVerdicts: candidate.spec.repeats === 1 && baseline.spec.repeats === 1 });
    return { fold, matchedBy: sameRows(candidate.spec, baseline.spec) ? ('index' as const) : ('content' as const) };
  }

  private async document(run: RunRecord): Promise<ExperimentDocument | undefined> {
    // Names and evaluators only: the version's rows are not read (migration 012).
    return (await this.stores.experiments.definitionById(run.projectId, run.experimentId, run.spec.experimentVersion)) ?? undefined;
  }

  /** A run's rows in row order, each with its key; its cells are passed on (for the targets' figures) as they are read. */
  private async *rows(run: RunRecord, side: 'baseline' | 'candidate', matchedBy: 'index' | 'content', cells: JoinStep[]): AsyncGenerator<KeyedRow> {
    const applicable = evaluatorsOfTarget(await this.document(run), run.spec, this.catalogue);
    const seen = new Map<string, number>();
    let lastIndex = -1;
    let occurrence = 0;
    for await (const group of rowGroups(this.stores.runs, run, matchedBy === 'content')) {
      occurrence = group.rowIndex === lastIndex ? occurrence + 1 : 0;
      lastIndex = group.rowIndex;
      const values: RowValues = { rowIndex: group.rowIndex, targets: new Map() };
      for (const c of group.cells) {
        cells.push({ kind: 'cell', side, cell: c });
        addCell(values, c, applicable);
      }
      let key = `${group.rowIndex}#${occurrence}`;
      if (matchedBy === 'content') {
        const hash = contentHash(group.cells[0]!.entry, run.spec.parameters);
        const n = seen.get(hash) ?? 0;
        seen.set(hash, n + 1);
        key = `${hash}#${n}`;
      }
      yield { key, rowIndex: group.rowIndex, occurrence, values };
    }
  }

  /** Both runs as a sequence of join steps: cells (for the targets' figures), matched pairs and unmatched rows. */
  async *join(candidate: RunRecord, baseline: RunRecord, matchedBy: 'index' | 'content'): AsyncGenerator<JoinStep> {
    const pending: JoinStep[] = [];
    const drain = function* () {
      yield* pending.splice(0);
    };
    const cand = this.rows(candidate, 'candidate', matchedBy, pending);
    const base = this.rows(baseline, 'baseline', matchedBy, pending);
    if (matchedBy === 'content') {
      const waiting = new Map<string, RowValues>();
      for await (const b of base) {
        waiting.set(b.key, b.values);
        yield* drain();
      }
      for await (const c of cand) {
        const b = waiting.get(c.key);
        yield* drain();
        if (b) {
          waiting.delete(c.key);
          yield { kind: 'pair', base: b, cand: c.values };
        } else yield { kind: 'unmatched', side: 'candidate' };
      }
      yield* drain();
      for (let i = 0; i < waiting.size; i++) yield { kind: 'unmatched', side: 'baseline' };
      return;
    }
    // Merge join on (row index, occurrence): both streams ascend.
    let c = await cand.next();
    let b = await base.next();
    while (!c.done || !b.done) {
      yield* drain();
      const order = c.done ? 1 : b.done ? -1 : c.value.rowIndex - b.value.rowIndex || c.value.occurrence - b.value.occurrence;
      if (order < 0) {
        yield { kind: 'unmatched', side: 'candidate' };
        c = await cand.next();
      } else if (order > 0) {
        yield { kind: 'unmatched', side: 'baseline' };
        b = await base.next();
      } else {
        yield { kind: 'pair', base: b.value!.values, cand: c.value!.values };
        c = await cand.next();
        b = await base.next();
      }
    }
    yield* drain();
  }

  /**
   * The items with their outputs, read by cell number and cut to ITEM_OUTPUT_CHARS from the head
   * of their stored text: a page of 1,000 items of megabyte outputs read them whole before.
   */
  private async withOutputs(candidate: RunRecord, baseline: RunRecord, items: PendingItem[]): Promise<CompareItem[]> {
    if (items.length === 0) return [];
    const points = headLength(ITEM_OUTPUT_CHARS);
    const [cHeads, bHeads] = await Promise.all([
      this.stores.runs.outputHeads(candidate.id, items.map((i) => i.candidate.cell), points),
      this.stores.runs.outputHeads(baseline.id, items.map((i) => i.baseline.cell), points),
    ]);
    const byCell = (heads: OutputHead[]) => new Map(heads.map((h) => [h.cell, h]));
    const cMap = byCell(cHeads), bMap = byCell(bHeads);
    const output = (h: OutputHead | undefined): unknown => (h ? itemOutput(h, ITEM_OUTPUT_CHARS) : null);
    return items.map((i) => ({
      ...i,
      baseline: { passed: i.baseline.passed, score: i.baseline.score, output: output(bMap.get(i.baseline.cell)) },
      candidate: { passed: i.candidate.passed, score: i.candidate.score, output: output(cMap.get(i.candidate.cell)) },
    }));
  }
}

function feed(fold: ComparisonFold, step: JoinStep): void {
  if (step.kind === 'cell') fold.cell(step.side, step.cell);
  else if (step.kind === 'pair') fold.pair(step.base, step.cand);
  else fold.unmatched(step.side);
}
