// The invariants every fault-injection test checks once its run has ended (issue 6): a
// terminal status, exact counts, every planned cell present exactly once, every failed cell
// carrying its error, and an event log that replays consistently from any point. Checks
// return problems as data (an empty list = sound) so a failure lists everything wrong at once.
import { isFinalEvent, type RunEvent } from '../core/events.js';
import type { DatasetEntry as ResultCell, RunStatusBody as RunView } from '../core/model/run-api.js';
import type { FaultClient } from './fault-server.js';

/** What a run was planned to contain. */
export interface RunShape {
  rows: number;
  targetIds: string[];
  repeats: number;
}

const TERMINAL = new Set(['completed', 'failed', 'stopped']);

/** `index/targetId/repeat`: one cell's identity in results and events alike. */
export const cellKey = (c: { index?: number; rowIndex?: number; targetId: string; repeat: number }) => `${c.index ?? c.rowIndex}/${c.targetId}/${c.repeat}`;

/** Keys of every cell the plan has. */
export function plannedCells(shape: RunShape): Set<string> {
  const out = new Set<string>();
  for (let index = 0; index < shape.rows; index++) for (const targetId of shape.targetIds) for (let repeat = 0; repeat < shape.repeats; repeat++) out.add(cellKey({ index, targetId, repeat }));
  return out;
}

/** Results: exactly the planned cells, none twice, failures with an error, successes with output. */
export function checkResults(cells: ResultCell[], shape: RunShape): string[] {
  const problems: string[] = [];
  const planned = plannedCells(shape);
  const seen = new Set<string>();
  for (const c of cells) {
    const key = cellKey(c);
    if (seen.has(key)) problems.push(`cell ${key} appears twice in the results`);
    seen.add(key);
    if (!planned.has(key)) problems.push(`cell ${key} is not in the plan`);
    if (c.error !== null) {
      if (typeof c.error !== 'string' || c.error.trim() === '') problems.push(`failed cell ${key} has an empty error`);
    } else if (!c.predicted || !('output' in c.predicted)) problems.push(`cell ${key} has neither an output nor an error`);
    if (!(c.attempts >= 1)) problems.push(`cell ${key} has attempts=${c.attempts}`);
  }
  for (const key of planned) if (!seen.has(key)) problems.push(`cell ${key} is missing from the results`);
  if (cells.length !== planned.size) problems.push(`results hold ${cells.length} cells, the plan ${planned.size}`);
  return problems;
}

/**
 * The full event log of an ended run: ids 1…n without gaps, execution_started first, one
 * cell_started and one progress per cell (progress counting 1…total), the final event last.
 */
export function checkEventLog(events: RunEvent[], ids: number[], shape: RunShape): string[] {
  const problems: string[] = [];
  const total = plannedCells(shape).size;
  ids.forEach((id, i) => {
    if (id !== i + 1) problems.push(`event #${i + 1} has id ${id}`);
  });
  events.forEach((e, i) => {
    if (e.seq !== ids[i]) problems.push(`event id ${ids[i]} carries seq ${e.seq}`);
  });
  if (events[0]?.type !== 'execution_started') problems.push(`first event is ${events[0]?.type}`);
  const last = events[events.length - 1];
  if (!last || !isFinalEvent(last)) problems.push(`last event is ${last?.type}, not a final one`);
  const finals = events.filter((e) => isFinalEvent(e)).length;
  if (finals !== 1) problems.push(`${finals} final events`);
  const progress = events.filter((e) => e.type === 'progress').map((e) => (e as { completed: number }).completed);
  if (progress.length !== total) problems.push(`${progress.length} progress events for ${total} cells`);
  const sorted = [...progress].sort((a, b) => a - b);
  if (sorted.some((v, i) => v !== i + 1)) problems.push('progress events do not count 1…total exactly once each');
  const started = new Set<string>();
  for (const e of events) {
    if (e.type !== 'cell_started') continue;
    const key = cellKey(e);
    if (started.has(key)) problems.push(`cell_started twice for ${key}`);
    started.add(key);
  }
  if (started.size !== total) problems.push(`${started.size} cells started in the log, ${total} planned`);
  return problems;
}

/** A replay after `after` must be exactly the full log's suffix. */
export function checkReplay(full: RunEvent[], replay: { events: RunEvent[]; ids: number[] }, after: number): string[] {
  const want = full.filter((e) => e.seq > after);
  if (replay.events.length !== want.length) return [`replay after ${after}: ${replay.events.length} events, expected ${want.length}`];
  for (let i = 0; i < want.length; i++) {
    if (JSON.stringify(replay.events[i]) !== JSON.stringify(want[i]) || replay.ids[i] !== want[i]!.seq) {
      return [`replay after ${after} differs at seq ${want[i]!.seq}: ${JSON.stringify(replay.events[i])} vs ${JSON.stringify(want[i])}`];
    }
  }
  return [];
}

/** Target results in the log agree with the stored results (same cells fail, same errors). */
function checkEventsMatchResults(events: RunEvent[], cells: ResultCell[]): string[] {
  const problems: string[] = [];
  const byKey = new Map(cells.map((c) => [cellKey(c), c]));
  for (const e of events) {
    if (e.type !== 'target_result') continue;
    const c = byKey.get(cellKey(e));
    if (!c) problems.push(`target_result for ${cellKey(e)} that has no result`);
    else if ((e.error ?? null) !== c.error) problems.push(`target_result of ${cellKey(e)} says error=${e.error}, results say ${c.error}`);
  }
  return problems;
}

export interface SoundRun {
  problems: string[];
  run: RunView;
  cells: ResultCell[];
  events: RunEvent[];
}

/**
 * Reads an ended run over HTTP and checks all the invariants, including replays after
 * `replays` random Last-Event-IDs.
 */
export async function checkEndedRun(client: FaultClient, runId: string, shape: RunShape, replays = 3, random: () => number = Math.random): Promise<SoundRun> {
  const problems: string[] = [];
  const total = plannedCells(shape).size;
  const run = await client.getRun(runId);
  if (!TERMINAL.has(run.status)) problems.push(`status ${run.status} is not terminal`);
  if (run.total !== total) problems.push(`total ${run.total}, planned ${total}`);
  if (run.progress !== run.total) problems.push(`progress ${run.progress} !== total ${run.total}`);
  if (run.status === 'failed' && !run.error) problems.push('failed without an error');
  const cells = await client.cells(runId);
  problems.push(...checkResults(cells, shape));
  const s = run.summary;
  if (!s) problems.push('no summary');
  else {
    const ok = cells.filter((c) => c.error === null).length;
    if (s.totalCells !== total) problems.push(`summary.totalCells ${s.totalCells} !== ${total}`);
    if (s.completedCells !== ok || s.failedCells !== cells.length - ok) problems.push(`summary counts ${s.completedCells}/${s.failedCells}, results ${ok}/${cells.length - ok}`);
    if (s.totalPassed + s.totalFailed !== s.totalCells) problems.push('summary.totalPassed + totalFailed !== totalCells');
  }
  const { events, ids } = await client.sse(runId);
  problems.push(...checkEventLog(events, ids, shape), ...checkEventsMatchResults(events, cells));
  for (let i = 0; i < replays && events.length > 0; i++) {
    const after = Math.floor(random() * events.length);
    problems.push(...checkReplay(events, await client.sse(runId, after), after));
  }
  return { problems: problems.slice(0, 40), run, cells, events };
}
