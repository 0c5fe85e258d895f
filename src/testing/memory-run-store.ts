// An in-memory RunStore and response cache, for millisecond unit tests of the executor, the
// host and the run service. It passes the same contract suite as the SQL stores
// (src/storage/run-store.contract.test.ts): leases and their fence, storage-assigned seqs,
// reopening with the history of re-run cells kept in the log, paging and event reads.
import { cellEventCount, cellEvents, rowEvent } from '../core/engine/cell-events.js';
import type { RunEvent } from '../core/events.js';
import type { OutputHead } from '../core/compare/item-output.js';
import type { Row } from '../core/model/experiment.js';
import { countWithin, PAGE_BYTES, type PageRequest, type Paged, type RowBatches } from '../core/model/paging.js';
import { type CellResult, type LeanCell, type RowOrderKey, type RowResult, type RunRecord, type RunSummary, runningClock } from '../core/model/run.js';
import type { NewDelivery } from '../core/webhook-store.js';
import type { ResponseCacheStore } from '../core/ports.js';
import type { CallCounts, CellDraft, CellsWithin, ResultsStart, RowDraft, RunCursor, RunFinish, RunStore } from '../core/run-store.js';

interface Entry {
  run: RunRecord;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  executions: number;
  commitCount: number;
  updatedAt: number;
  liveSummary: RunSummary | null;
  /** Webhook deliveries written by finishes (the SQL store keeps them in its outbox). */
  deliveries: NewDelivery[];
  rows: Row[];
  cells: Map<number, CellResult>;
  rowResults: Map<string, RowResult>;
  events: Map<number, RunEvent>;
  /** Why the last abort was asked (read only while `run.abortRequested`). */
  abortReason?: 'user' | 'errors';
}

/** Deep copies, as a database hands out fresh objects: a caller mutating one changes nothing stored. */
const copy = <T>(value: T): T => structuredClone(value);

/** The record as a read answers it: a copy, with the fields kept beside it. */
const view = (e: Entry): RunRecord => ({ ...copy(e.run), updatedAt: e.updatedAt, liveSummary: copy(e.liveSummary) });

export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, Entry>();

  /** The webhook deliveries the run's finishes wrote. */
  deliveries(runId: string): NewDelivery[] {
    return copy(this.runs.get(runId)?.deliveries ?? []);
  }

  private entry(runId: string): Entry | undefined {
    return this.runs.get(runId);
  }

  /** The entry when `owner` holds the lease of a running run: the fence of every executor write. */
  private fenced(runId: string, owner: string): Entry | null {
    const e = this.runs.get(runId);
    return e && e.leaseOwner === owner && e.run.status === 'running' ? e : null;
  }

  async create(run: RunRecord, inlineRows?: RowBatches): Promise<void> {
    const rows: Row[] = [];
    if (inlineRows) for await (const batch of inlineRows) rows.push(...copy(batch));
    const first: RunEvent = { type: 'execution_started', runId: run.id, total: run.total, runUrl: run.spec.runUrl, seq: 1 };
    this.runs.set(run.id, {
      run: { ...copy(run), nextSeq: 2, abortRequested: false, ...runningClock(run) },
      leaseOwner: null, leaseExpiresAt: null, executions: 0, commitCount: 0, updatedAt: run.startedAt, liveSummary: null, deliveries: [],
      rows, cells: new Map(), rowResults: new Map(), events: new Map([[1, first]]),
    });
  }

  async get(projectId: string, runId: string): Promise<RunRecord | null> {
    const e = this.entry(runId);
    return e && e.run.projectId === projectId ? view(e) : null;
  }

  async getById(runId: string): Promise<RunRecord | null> {
    const e = this.entry(runId);
    return e ? view(e) : null;
  }

  async cursor(runId: string): Promise<RunCursor | null> {
    const e = this.entry(runId);
    if (!e) return null;
    const r = e.run;
    const cursor: RunCursor = { id: r.id, projectId: r.projectId, status: r.status, total: r.total, progress: r.progress, nextSeq: r.nextSeq, abortRequested: r.abortRequested };
    if (r.abortRequested && e.abortReason === 'errors') cursor.abortReason = 'errors';
    return cursor;
  }

  async list(projectId: string, experimentId: string, page: PageRequest, metadata: Record<string, string> = {}): Promise<Paged<RunRecord>> {
    const all = [...this.runs.values()]
      .map(view)
      .filter((r) => r.projectId === projectId && r.experimentId === experimentId)
      .filter((r) => Object.entries(metadata).every(([k, v]) => r.spec.metadata?.[k] === v))
      .sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1));
    const start = (page.page - 1) * page.pageSize;
    return { items: all.slice(start, start + page.pageSize), total: all.length };
  }

  async statsByExperiment(projectId: string, experimentIds: string[]): Promise<Map<string, { runsCount: number; lastRunAt: number }>> {
    const out = new Map<string, { runsCount: number; lastRunAt: number }>();
    for (const { run } of this.runs.values()) {
      if (run.projectId !== projectId || !experimentIds.includes(run.experimentId)) continue;
      const s = out.get(run.experimentId) ?? { runsCount: 0, lastRunAt: 0 };
      out.set(run.experimentId, { runsCount: s.runsCount + 1, lastRunAt: Math.max(s.lastRunAt, run.startedAt) });
    }
    return out;
  }

  async requestAbort(projectId: string, runId: string, reason: 'user' | 'errors' = 'user'): Promise<RunRecord | null> {
    const e = this.entry(runId);
    if (!e || e.run.projectId !== projectId) return null;
    if (e.run.status === 'running') {
      e.run.abortRequested = true;
      e.abortReason = reason;
    }
    return view(e);
  }

  async reopen(projectId: string, runId: string, retryErrors: boolean, at: number): Promise<RunRecord | null> {
    const e = this.entry(runId);
    if (!e || e.run.projectId !== projectId) return null;
    const status = e.run.status;
    if (status !== 'stopped' && status !== 'failed' && !(retryErrors && status === 'completed')) return null;
    if (retryErrors) {
      for (const [n, c] of e.cells) {
        if (c.ok) continue;
        for (const ev of cellEvents(c, e.run.total)) e.events.set(ev.seq, ev);
        e.cells.delete(n);
      }
      for (const [k, r] of e.rowResults) {
        if (r.evaluation.result.status === 'processed') continue;
        e.events.set(r.seq, rowEvent(r));
        e.rowResults.delete(k);
      }
    }
    const seq = e.run.nextSeq;
    e.events.set(seq, { type: 'resumed', retryErrors, seq });
    // As the SQL store: the ended execution's time (its beginning to its finish) joins the earlier ones'.
    const clock = runningClock(e.run);
    Object.assign(e.run, {
      status: 'running', progress: e.cells.size, finishedAt: null, summary: null, error: null, errorMessage: null, stopReason: null,
      abortRequested: false, nextSeq: seq + 1,
      earlierRunningMs: clock.earlierRunningMs + Math.max(0, (e.run.finishedAt ?? at) - clock.executionStartedAt), executionStartedAt: at,
    });
    Object.assign(e, { leaseOwner: null, leaseExpiresAt: null, executions: 0, updatedAt: at, liveSummary: null });
    return view(e);
  }

  async inlineRows(runId: string, from: number, to: number): Promise<Row[]> {
    return copy(this.entry(runId)?.rows.slice(from, to) ?? []);
  }

  async inlineRowSizes(runId: string, from: number, to: number): Promise<number[]> {
    return (this.entry(runId)?.rows.slice(from, to) ?? []).map((row) => Buffer.byteLength(JSON.stringify(row)));
  }

  async claim(runId: string, owner: string, until: number, now: number): Promise<RunRecord | null> {
    const e = this.entry(runId);
    if (!e || e.run.status !== 'running') return null;
    const free = e.leaseOwner === null || (e.leaseExpiresAt ?? 0) < now || e.leaseOwner === owner;
    if (!free) return null;
    e.leaseOwner = owner;
    e.leaseExpiresAt = until;
    return view(e);
  }

  async renew(runId: string, owner: string, until: number): Promise<boolean> {
    const e = this.fenced(runId, owner);
    if (!e) return false;
    e.leaseExpiresAt = until;
    return true;
  }

  async release(runId: string, owner: string): Promise<void> {
    const e = this.entry(runId);
    if (e && e.leaseOwner === owner) {
      e.leaseOwner = null;
      e.leaseExpiresAt = null;
    }
  }

  async claimable(now: number, limit: number): Promise<string[]> {
    return [...this.runs.values()]
      .filter((e) => e.run.status === 'running' && (e.leaseOwner === null || (e.leaseExpiresAt ?? 0) < now))
      .sort((a, b) => a.run.startedAt - b.run.startedAt)
      .slice(0, limit)
      .map((e) => e.run.id);
  }

  async countExecution(runId: string): Promise<number> {
    const e = this.entry(runId);
    if (!e) return 0;
    return ++e.executions;
  }

  async commitCells(runId: string, owner: string, drafts: CellDraft[], at: number, summarySoFar?: RunSummary): Promise<CellResult[] | null> {
    const e = this.fenced(runId, owner);
    if (!e) return null;
    const cells = drafts.map((d): CellResult => {
      const eventCount = cellEventCount(d);
      const cell = { ...copy(d), firstSeq: e.run.nextSeq, eventCount, completedOrder: ++e.commitCount, progress: ++e.run.progress, workerId: owner };
      e.run.nextSeq += eventCount;
      return cell;
    });
    for (const c of cells) e.cells.set(c.cell, copy(c));
    if (cells.length > 0) e.executions = 1;
    e.updatedAt = at;
    if (summarySoFar) e.liveSummary = copy(summarySoFar);
    return cells;
  }

  async commitRowResults(runId: string, owner: string, drafts: RowDraft[], at: number): Promise<RowResult[] | null> {
    const e = this.fenced(runId, owner);
    if (!e) return null;
    const rows = drafts.map((d): RowResult => ({ ...copy(d), seq: e.run.nextSeq++ }));
    for (const r of rows) e.rowResults.set(`${r.rowPos}/${r.repeat}/${r.evaluatorId}`, copy(r));
    e.updatedAt = at;
    return rows;
  }

  async finish(runId: string, owner: string, end: RunFinish): Promise<RunEvent | null> {
    const e = this.fenced(runId, owner);
    if (!e) return null;
    const event = { ...copy(end.event), seq: e.run.nextSeq++ } as RunEvent;
    e.events.set(event.seq, event);
    Object.assign(e.run, {
      status: end.status, summary: copy(end.summary), error: end.error, errorMessage: end.errorMessage, stopReason: end.stopReason,
      finishedAt: end.finishedAt, abortRequested: false,
    });
    Object.assign(e, { leaseOwner: null, leaseExpiresAt: null, updatedAt: end.finishedAt, liveSummary: null });
    for (const d of end.deliveries ?? []) e.deliveries.push(copy(d));
    return copy(event);
  }

  async committedCells(runId: string): Promise<number[]> {
    return [...(this.entry(runId)?.cells.keys() ?? [])];
  }

  async callCounts(runId: string): Promise<CallCounts> {
    const counts: CallCounts = { succeeded: 0, failed: 0 };
    for (const c of this.entry(runId)?.cells.values() ?? []) counts[c.ok ? 'succeeded' : 'failed']++;
    return counts;
  }

  private sortedCells(runId: string, by: (a: CellResult, b: CellResult) => number): CellResult[] {
    return [...(this.entry(runId)?.cells.values() ?? [])].sort(by);
  }

  async cellsInCommitOrder(runId: string, afterOrder: number, limit: number): Promise<(LeanCell & { completedOrder: number })[]> {
    const cells = this.sortedCells(runId, (a, b) => a.completedOrder - b.completedOrder).filter((c) => c.completedOrder > afterOrder).slice(0, limit);
    return copy(cells.map((c) => Object.assign(leanOf(c, false), { completedOrder: c.completedOrder })));
  }

  async cellsInRange(runId: string, fromCell: number, toCell: number): Promise<CellResult[]> {
    return copy(this.sortedCells(runId, (a, b) => a.cell - b.cell).filter((c) => c.cell >= fromCell && c.cell < toCell));
  }

  async results(runId: string, offset: number, limit: number): Promise<CellResult[]> {
    return copy(this.sortedCells(runId, (a, b) => a.rowIndex - b.rowIndex || a.cell - b.cell).slice(offset, offset + limit));
  }

  async resultsAfter(runId: string, after: RowOrderKey | null, limit: number): Promise<CellResult[]> {
    return copy(this.inRowOrderAfter(runId, after).slice(0, limit));
  }

  async resultsWithin(runId: string, start: ResultsStart, limit: number, maxBytes: number, min: 0 | 1 = 1): Promise<CellsWithin> {
    if (limit <= 0) return { cells: [], bytes: 0, cut: false };
    const candidates =
      'fromCell' in start
        ? this.sortedCells(runId, (a, b) => a.cell - b.cell).filter((c) => c.cell >= start.fromCell).slice(0, limit)
        : 'offset' in start
          ? this.inRowOrderAfter(runId, null).slice(start.offset, start.offset + limit)
          : this.inRowOrderAfter(runId, start.after).slice(0, limit);
    const sizes = candidates.map(storedBytes);
    const n = countWithin(sizes, maxBytes, min);
    return { cells: copy(candidates.slice(0, n)), bytes: sizes.slice(0, n).reduce((a, b) => a + b, 0), cut: n < candidates.length };
  }

  private inRowOrderAfter(runId: string, after: RowOrderKey | null): CellResult[] {
    return this.sortedCells(runId, (a, b) => a.rowIndex - b.rowIndex || a.cell - b.cell)
      .filter((c) => !after || c.rowIndex > after.rowIndex || (c.rowIndex === after.rowIndex && c.cell > after.cell));
  }

  async cellsInRowOrder(runId: string, after: RowOrderKey | null, limit: number, withEntry: boolean): Promise<LeanCell[]> {
    const cells = this.inRowOrderAfter(runId, after).slice(0, limit);
    return copy(cells.map((c) => leanOf(c, withEntry)));
  }

  async outputHeads(runId: string, cells: number[], points: number): Promise<OutputHead[]> {
    return this.wholeCellsAt(runId, cells).map((c): OutputHead => {
      if (!c.ok) return { cell: c.cell, ok: false, error: c.error };
      const all = Array.from(JSON.stringify(c.output ?? null));
      return { cell: c.cell, ok: true, text: all.slice(0, points).join(''), whole: all.length <= points };
    });
  }

  async cellsAt(runId: string, cells: number[]): Promise<LeanCell[]> {
    return copy(this.wholeCellsAt(runId, cells).map((c) => leanOf(c, false)));
  }

  private wholeCellsAt(runId: string, cells: number[]): CellResult[] {
    const wanted = new Set(cells);
    return this.sortedCells(runId, (a, b) => a.cell - b.cell).filter((c) => wanted.has(c.cell));
  }

  async rowResultKeys(runId: string): Promise<{ rowPos: number; repeat: number; evaluatorId: string }[]> {
    return [...(this.entry(runId)?.rowResults.values() ?? [])].map((r) => ({ rowPos: r.rowPos, repeat: r.repeat, evaluatorId: r.evaluatorId }));
  }

  async rowResultsOfRows(runId: string, rowIndices: number[]): Promise<RowResult[]> {
    const wanted = new Set(rowIndices);
    return copy([...(this.entry(runId)?.rowResults.values() ?? [])].filter((r) => wanted.has(r.rowIndex)).sort((a, b) => a.rowIndex - b.rowIndex || a.seq - b.seq));
  }

  async runEvents(runId: string, afterSeq: number, limit: number): Promise<RunEvent[]> {
    return copy([...(this.entry(runId)?.events.values() ?? [])].filter((e) => e.seq > afterSeq).sort((a, b) => a.seq - b.seq).slice(0, limit));
  }

  async cellsAfterSeq(runId: string, afterSeq: number, limit: number, maxBytes = PAGE_BYTES): Promise<CellResult[]> {
    const last = (c: CellResult) => c.firstSeq + c.eventCount - 1;
    const cells = this.sortedCells(runId, (a, b) => last(a) - last(b)).filter((c) => last(c) > afterSeq).slice(0, limit);
    return copy(cells.slice(0, countWithin(cells.map(storedBytes), maxBytes)));
  }

  async rowResultsAfterSeq(runId: string, afterSeq: number, limit: number): Promise<RowResult[]> {
    return copy([...(this.entry(runId)?.rowResults.values() ?? [])].filter((r) => r.seq > afterSeq).sort((a, b) => a.seq - b.seq).slice(0, limit));
  }
}

/** A cell's text as the SQL stores would hold it, in bytes (their octet_length). */
function storedBytes(c: CellResult): number {
  const text = (v: unknown) => (v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v) ?? ''));
  return text(c.entry) + (c.ok ? text(c.output) : Buffer.byteLength(c.error)) + text(c.evaluations) + text(c.retries);
}

function leanOf(c: CellResult, withEntry: boolean): LeanCell {
  const lean: LeanCell = { cell: c.cell, rowIndex: c.rowIndex, targetId: c.targetId, repeat: c.repeat, ok: c.ok, durationMs: c.durationMs, evaluations: c.evaluations };
  if (c.cost !== undefined) lean.cost = c.cost;
  if (c.tokens !== undefined) lean.tokens = c.tokens;
  if (!c.ok) lean.error = c.error;
  if (withEntry) lean.entry = c.entry;
  return lean;
}

/** The response cache in memory: the first answer stored under a key stays. */
export class MemoryResponseCache implements ResponseCacheStore {
  private readonly values = new Map<string, string>();

  async get(projectId: string, key: string): Promise<string | null> {
    return this.values.get(`${projectId}\u0000${key}`) ?? null;
  }

  async put(projectId: string, key: string, value: string): Promise<void> {
    const k = `${projectId}\u0000${key}`;
    if (!this.values.has(k)) this.values.set(k, value);
  }
}
