// A page of a run's events after a cursor: from the bus's recent-events ring when it holds them,
// otherwise from storage (run-level events, row results and the events derived from committed
// cells, merged in seq order).
import { cellEvents, rowEvent } from '../../core/engine/cell-events.js';
import type { RunEvent } from '../../core/events.js';
import { PAGE_BYTES } from '../../core/model/paging.js';
import type { EventBus, Stores } from '../../core/ports.js';

export const EVENT_PAGE = 500;

/**
 * Events with seq > afterSeq, contiguous, at most `limit`, and whether they came from storage.
 * With `ringOnly`, a bus ring that covers `afterSeq` but holds nothing newer answers "nothing
 * yet" without reading storage: this process publishes every event it commits, so only events
 * committed by another process can be missing, and the periodic re-check (RECHECK_MS) reads
 * storage for those. A page read from storage may stop short of `limit` and still have more
 * behind it: its cells are read within a byte budget (RunStore.cellsAfterSeq), so 41 cells of
 * 100 KB make a page of 123 events.
 */
export async function readEventPage(
  stores: Pick<Stores, 'runs'>,
  bus: EventBus,
  runId: string,
  total: number,
  afterSeq: number,
  limit = EVENT_PAGE,
  ringOnly = false,
  maxBytes = PAGE_BYTES,
): Promise<{ events: RunEvent[]; stored: boolean }> {
  const recent = bus.recent(runId, afterSeq, limit);
  if (recent && (recent.length > 0 || ringOnly)) return { events: recent, stored: false };
  const [runEvents, cells, rows] = await Promise.all([
    stores.runs.runEvents(runId, afterSeq, limit),
    stores.runs.cellsAfterSeq(runId, afterSeq, Math.ceil(limit / 3), maxBytes),
    stores.runs.rowResultsAfterSeq(runId, afterSeq, limit),
  ]);
  const merged = [...runEvents, ...rows.map(rowEvent)];
  for (const c of cells) for (const e of cellEvents(c, total)) if (e.seq > afterSeq) merged.push(e);
  merged.sort((a, b) => a.seq - b.seq);
  const out: RunEvent[] = [];
  let expected = afterSeq + 1;
  for (const e of merged) {
    if (e.seq !== expected || out.length >= limit) break;
    out.push(e);
    expected++;
  }
  return { events: out, stored: true };
}
