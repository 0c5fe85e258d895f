// One execution's side of a run's event log: commits through the run store, which assigns the
// sequence numbers (core/run-store.ts), then publishes the committed events to live
// subscribers; and passes on the live-only events (`cell_started` when a call begins,
// `retrying` when a retry is scheduled) that no commit waits for. Which events a committed cell
// yields is decided in one place, core/engine/cell-events.ts.
import { cellEvents, rowEvent } from '../../core/engine/cell-events.js';
import type { LiveEvent, RunEvent } from '../../core/events.js';
import type { CellResult, RowResult, RunSummary } from '../../core/model/run.js';
import type { EventBus, Stores } from '../../core/ports.js';
import type { CellDraft, RowDraft, RunFinish } from '../../core/run-store.js';
import type { RunShardStore } from '../../core/shard-store.js';
import { yieldIfBusy } from '../../core/turns.js';
import { failpoint } from './failpoints.js';

/** The lease was taken by another executor: nothing was written, and this execution must stop. */
export class LeaseLost extends Error {
  constructor(runId: string) {
    super(`lost the lease of run ${runId}; another executor owns it`);
    this.name = 'LeaseLost';
  }
}

export class RunEventLog {
  constructor(
    private readonly stores: Pick<Stores, 'runs'>,
    private readonly bus: EventBus,
    private readonly runId: string,
    private readonly owner: string,
    /** The run's cell count, carried by every progress event. */
    private readonly total: number,
    private readonly now: () => number,
    /** A cluster shard's executor: its commits are fenced by the shard's lease, not the run's. */
    private readonly shard?: { store: RunShardStore; shard: number },
  ) {}

  /** Commits finished cells (durably, fenced), then publishes their events. */
  async commitCells(drafts: CellDraft[], summarySoFar?: RunSummary): Promise<CellResult[]> {
    // The embedded database commits synchronously behind its promises: without these turns a
    // backlog of batches, each batch's publish (which frames the events for SSE) and the next
    // batch ran in one macrotask, and cells of 4 MB held the main thread 100–190 ms.
    await yieldIfBusy();
    // No longer in flight, from before the commit: a watcher joining now is not told a cell is
    // running once its result may already be in storage.
    this.bus.settle(this.runId, drafts);
    failpoint('commit.before');
    const cells = this.shard
      ? await this.shard.store.commitCells(this.runId, this.shard.shard, this.owner, drafts, this.now())
      : await this.stores.runs.commitCells(this.runId, this.owner, drafts, this.now(), summarySoFar);
    if (!cells) throw new LeaseLost(this.runId);
    // Committed but not yet published: a crash here leaves events only storage can replay.
    failpoint('commit.after');
    await yieldIfBusy();
    const events: RunEvent[] = [];
    for (const c of cells) events.push(...cellEvents(c, this.total));
    this.bus.publish(this.runId, events);
    return cells;
  }

  /** Commits row-scoped results (comparisons), then publishes their events. */
  async commitRows(drafts: RowDraft[]): Promise<RowResult[]> {
    const rows = await this.stores.runs.commitRowResults(this.runId, this.owner, drafts, this.now());
    if (!rows) throw new LeaseLost(this.runId);
    this.bus.publish(this.runId, rows.map(rowEvent));
    return rows;
  }

  /** Ends the run with its final event; false when the lease was lost (another executor ends it). */
  async finish(end: RunFinish): Promise<boolean> {
    failpoint('finish.before');
    const event = await this.stores.runs.finish(this.runId, this.owner, end);
    if (event) this.bus.publish(this.runId, [event]);
    return event !== null;
  }

  /** A live-only event: delivered to who is watching now, never stored (its committed twin is). */
  live(event: LiveEvent): void {
    this.bus.publishLive(this.runId, event);
  }
}
