// The run as the page holds it: rows × targets × repeats, built from results pages and run
// events alike (both merge idempotently), with no React and no I/O so it is tested in Node.
// The views it builds, and their verdicts, are in cell-views.ts.
import type { ResultCell, ResultEvaluation, StreamEvent, TargetMeta } from '../api-types.js';
import type { EvalView, RepeatView, RowView } from './cell-views.js';

// The page's modules read the views from here, beside the model that builds them.

const emptyRepeat = (repeat: number): RepeatView => ({ repeat, done: false, attempts: 0, cached: false, retries: [], evaluations: [] });

/** The mutable run model; `version` increases on every change so views can memoise. */
export class RunModel {
  version = 0;
  targets: TargetMeta[] = [];
  /**
   * Evaluator ids in first-seen order, with the name the page shows: the evaluator's own, and
   * its id beside it when two share a name (two unnamed evaluators of one type do).
   */
  readonly evaluators = new Map<string, string>();
  /** Evaluator ids → their own names; the id while only events (which carry none) know them. */
  private readonly ownNames = new Map<string, string>();
  readonly rows = new Map<number, RowView>();
  private sortedIndexes: number[] = [];
  private sortedDirty = false;
  /** Input column names in first-seen order. */
  readonly columns: string[] = [];
  private readonly columnSet = new Set<string>();
  /** `resumed` events seen: a cell that ended in error runs again only after one. */
  private resumes = 0;
  /** For each finished repeat, how many `resumed` events had been seen when it finished. */
  private readonly finishedAfter = new WeakMap<RepeatView, number>();
  /**
   * Failed repeats whose `cell_started` came with no `resumed` after their result: either stale
   * (see applyEvent) or ahead of the `resumed` that retries them (a stream sends live events
   * before the committed ones waiting with them, and a replay of the run's older events may come
   * between). The next `resumed` settles which.
   */
  private readonly startsBeforeResume = new Map<string, { rowIndex: number; targetId: string; repeat: number }>();

  /** Row indexes in ascending order. */
  rowIndexes(): number[] {
    if (this.sortedDirty) {
      this.sortedIndexes.sort((a, b) => a - b);
      this.sortedDirty = false;
    }
    return this.sortedIndexes;
  }

  /**
   * The name the page shows for an evaluator, everywhere on it (header, tables, charts, grid,
   * compare panel): its own name, with its id beside it only when two share it; the id while
   * nothing has named it yet.
   */
  evaluatorName(id: string): string {
    return this.evaluators.get(id) ?? id;
  }

  /**
   * Names evaluators from what knows their names besides the results (the run's summary); an
   * evaluator already named keeps its name. Returns whether anything changed.
   */
  nameEvaluators(named: readonly { id: string; name?: string | undefined }[]): boolean {
    let changed = false;
    for (const e of named) if (this.nameEvaluator(e.id, e.name)) changed = true;
    if (changed) this.version++;
    return changed;
  }

  /**
   * Display names from the experiment document (an unnamed evaluator's: its type's catalogue
   * name, as results name it), before any result names them.
   */
  setNames(targets: { id: string; name?: string }[], evaluators: { id: string; name?: string | undefined }[]): void {
    // An evaluator not seen yet takes its place in this order, named or not (by its id until named).
    for (const e of evaluators) if (!this.ownNames.has(e.id) || (e.name && this.ownNames.get(e.id) === e.id)) this.nameEvaluator(e.id, e.name);
    const names = new Map(targets.map((t) => [t.id, t.name]));
    this.targets = this.targets.map((t) => (t.name === t.id && names.get(t.id) ? { ...t, name: names.get(t.id)! } : t));
    this.version++;
  }

  setTargets(targets: TargetMeta[]): void {
    if (targets.length === 0 || JSON.stringify(targets) === JSON.stringify(this.targets)) return;
    this.targets = targets;
    this.version++;
  }

  private row(index: number): RowView {
    let row = this.rows.get(index);
    if (!row) {
      row = { index, cells: new Map() };
      this.rows.set(index, row);
      const last = this.sortedIndexes[this.sortedIndexes.length - 1];
      if (last !== undefined && index < last) this.sortedDirty = true;
      this.sortedIndexes.push(index);
    }
    return row;
  }

  private repeat(index: number, targetId: string, repeat: number): RepeatView {
    const row = this.row(index);
    let cell = row.cells.get(targetId);
    if (!cell) {
      cell = { rowIndex: index, targetId, repeats: [] };
      row.cells.set(targetId, cell);
      if (!this.targets.some((t) => t.id === targetId)) this.targets = [...this.targets, { id: targetId, name: targetId, type: null, model: null }];
    }
    return (cell.repeats[repeat] ??= emptyRepeat(repeat));
  }

  /** A fresh repeat in place of the old one (a retried cell starts over; no stale field stays). */
  private resetRepeat(index: number, targetId: string, repeat: number): RepeatView {
    const old = this.repeat(index, targetId, repeat);
    const fresh = emptyRepeat(repeat);
    fresh.retries = old.retries;
    this.rows.get(index)!.cells.get(targetId)!.repeats[repeat] = fresh;
    return fresh;
  }

  private setEntry(row: RowView, entry: Record<string, unknown>): void {
    if (row.entry) return;
    row.entry = entry;
    for (const key of Object.keys(entry)) {
      if (!this.columnSet.has(key)) {
        this.columnSet.add(key);
        this.columns.push(key);
      }
    }
  }

  /**
   * Records an evaluator's name. Events carry none (`undefined`, or the id standing in): they
   * add an evaluator but never rename one; results pages and the experiment name it.
   */
  private nameEvaluator(id: string, name: string | undefined): boolean {
    const known = this.ownNames.get(id);
    if (known !== undefined && (name === undefined || name === id || name === known)) return false;
    this.ownNames.set(id, name ?? id);
    const uses = new Map<string, number>();
    for (const n of this.ownNames.values()) uses.set(n, (uses.get(n) ?? 0) + 1);
    for (const [eid, n] of this.ownNames) this.evaluators.set(eid, uses.get(n)! > 1 && n !== eid ? `${n} (${eid})` : n);
    return true;
  }

  private setEvaluation(r: RepeatView, e: EvalView, name: string | undefined): void {
    this.nameEvaluator(e.evaluatorId, name);
    const at = r.evaluations.findIndex((x) => x.evaluatorId === e.evaluatorId);
    if (at >= 0) r.evaluations[at] = e;
    else r.evaluations.push(e);
  }

  /**
   * Merges a results page. Entries always fill in; a repeat already known (from events, which
   * may be newer than the page) is not overwritten.
   */
  mergeResults(cells: ResultCell[], evaluations: ResultEvaluation[]): void {
    const fresh = new Set<RepeatView>();
    for (const c of cells) {
      this.setEntry(this.row(c.index), c.entry);
      const r = this.repeat(c.index, c.targetId, c.repeat);
      if (r.done) continue;
      r.done = true;
      this.finishedAfter.set(r, this.resumes);
      if (c.error !== null) r.error = c.error;
      else r.output = c.predicted?.output;
      if (c.cost !== null) r.cost = c.cost;
      r.duration = c.duration;
      if (c.tokens) r.tokens = c.tokens;
      r.attempts = c.attempts;
      r.cached = c.cached;
      fresh.add(r);
    }
    for (const e of evaluations) {
      const r = this.repeat(e.index, e.targetId, e.repeat);
      if (!fresh.has(r) && r.evaluations.some((x) => x.evaluatorId === e.evaluator)) {
        // The result known from events stays, but the page names the evaluator the events could not.
        this.nameEvaluator(e.evaluator, e.name);
        continue;
      }
      this.setEvaluation(r, {
        evaluatorId: e.evaluator, name: e.name, status: e.status,
        ...(e.passed !== null ? { passed: e.passed } : {}),
        ...(e.score !== null ? { score: e.score } : {}),
        ...(e.label !== null ? { label: e.label } : {}),
        ...(e.details !== null ? { details: e.details } : {}),
        ...(e.cost !== null ? { cost: e.cost } : {}),
        ...(e.unpricedCalls !== undefined ? { unpricedCalls: e.unpricedCalls } : {}),
        duration: e.duration,
      }, e.name);
    }
    if (cells.length > 0 || evaluations.length > 0) this.version++;
  }

  /** Applies one run event (SPEC §6). Returns whether it changed the grid. */
  applyEvent(e: StreamEvent): boolean {
    switch (e.type) {
      case 'cell_started': {
        const r = this.repeat(e.rowIndex, e.targetId, e.repeat);
        // A resumed run (retry errors) runs a failed cell again: show it running. Only after a
        // `resumed` that came after its result: in a cluster, a page that joins mid-run may hear
        // a cell's `cell_started` (asked of the process running it) after reading its result
        // from storage, and that cell is not running any more.
        if (r.done && r.error !== undefined) {
          if ((this.finishedAfter.get(r) ?? 0) < this.resumes) this.resetRepeat(e.rowIndex, e.targetId, e.repeat);
          else {
            this.startsBeforeResume.set(`${e.rowIndex}/${e.targetId}/${e.repeat}`, { rowIndex: e.rowIndex, targetId: e.targetId, repeat: e.repeat });
            return false;
          }
        }
        break;
      }
      case 'resumed': {
        this.resumes++;
        const early = [...this.startsBeforeResume.values()];
        this.startsBeforeResume.clear();
        // Only a resume that retries errors runs a failed cell again. (No result of this
        // execution can have come yet: committed events come in order, and it follows this.)
        if (!e.retryErrors) return false;
        let changed = false;
        for (const at of early) {
          const r = this.repeat(at.rowIndex, at.targetId, at.repeat);
          if (!r.done || r.error === undefined) continue;
          this.resetRepeat(at.rowIndex, at.targetId, at.repeat);
          changed = true;
        }
        if (!changed) return false;
        break;
      }
      case 'retrying': {
        const r = this.repeat(e.rowIndex, e.targetId, e.repeat);
        r.retries.push({ attempt: e.attempt, delayMs: e.delayMs, reason: e.reason });
        break;
      }
      case 'target_result': {
        const r = this.resetRepeat(e.rowIndex, e.targetId, e.repeat);
        r.done = true;
        this.finishedAfter.set(r, this.resumes);
        r.attempts = e.attempts;
        r.cached = e.cached ?? false;
        if (e.error !== undefined) r.error = e.error;
        else r.output = e.output;
        if (e.cost !== undefined) r.cost = e.cost;
        if (e.duration !== undefined) r.duration = e.duration;
        if (e.tokens) r.tokens = { input: e.tokens.input, output: e.tokens.output };
        break;
      }
      case 'evaluator_result': {
        const r = this.repeat(e.rowIndex, e.targetId, e.repeat);
        const res = e.result;
        // Only a processed result has a verdict, a score or a label.
        const done = res.status === 'processed' ? res : undefined;
        this.setEvaluation(r, {
          evaluatorId: e.evaluatorId, name: this.ownNames.get(e.evaluatorId) ?? e.evaluatorId, status: res.status,
          ...(done?.passed !== undefined ? { passed: done.passed } : {}),
          ...(done?.score !== undefined ? { score: done.score } : {}),
          ...(done?.label !== undefined ? { label: done.label } : {}),
          ...(res.details !== undefined ? { details: res.details } : {}),
          ...(res.cost !== undefined ? { cost: res.cost } : {}),
          ...(res.unpricedCalls !== undefined ? { unpricedCalls: res.unpricedCalls } : {}),
          duration: e.duration,
        }, undefined);
        break;
      }
      default:
        return false;
    }
    this.version++;
    return true;
  }

  /**
   * Fills in inputs read from the run's row source (row-entries.ts) for rows that have none yet:
   * a row whose cells are all still running. Returns whether any row changed.
   */
  fillEntries(entries: ReadonlyMap<number, Record<string, unknown>>): boolean {
    let changed = false;
    for (const [index, entry] of entries) {
      const row = this.rows.get(index);
      if (!row || row.entry) continue;
      this.setEntry(row, entry);
      changed = true;
    }
    if (changed) this.version++;
    return changed;
  }

  /** Indexes of the rows that have cells but no inputs yet. */
  rowsWithoutEntry(): number[] {
    const out: number[] = [];
    for (const row of this.rows.values()) if (!row.entry) out.push(row.index);
    return out;
  }

  /** Rows that have cells but whose inputs are not known yet. */
  missingEntries(): number {
    let n = 0;
    for (const row of this.rows.values()) if (!row.entry) n++;
    return n;
  }

  /** Cells (repeats) with a target result. */
  doneCount(): number {
    let n = 0;
    for (const row of this.rows.values()) for (const c of row.cells.values()) for (const r of c.repeats) if (r?.done) n++;
    return n;
  }
}
