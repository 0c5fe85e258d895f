// Phase 2 of a run: row-scoped evaluators (N-way comparison) run once per row and repeat,
// after every cell is committed, over the committed outputs of the targets they compare.
// Like phase 1 it is resumable (committed row results are skipped), bounded by the run's
// concurrency, committed in groups before events go out, and stops on abort or budget.
import type { InputMapping, Row } from '../model/experiment.js';
import type { EvaluationResult, EvaluatorInstance } from '../model/results.js';
import type { CellResult, RunSpec, StopReason } from '../model/run.js';
import type { RowDraft } from '../run-store.js';
import type { Clock } from '../ports.js';
import { applyControls } from './cell.js';
import { resolveInputs } from './evaluator-inputs.js';
import { GroupCommitter } from './group-commit.js';
import { DEFAULT_GROUP_COMMIT } from './run-loop.js';
import { Semaphore } from './limiter.js';
import { rowsInScope } from './plan.js';
import { describeFailure } from './retry.js';

export interface PreparedRowEvaluator {
  id: string;
  name: string;
  /** Target ids compared, in configuration order. */
  variants: string[];
  inputs: Record<string, InputMapping> | undefined;
  negate: boolean;
  threshold: number | undefined;
  instance: EvaluatorInstance;
}

export type { RowDraft } from '../run-store.js';

export interface RowPhasePorts {
  spec: Pick<RunSpec, 'rowIndices' | 'sourceRowCount' | 'targetIds' | 'repeats' | 'concurrency'>;
  evaluators: readonly PreparedRowEvaluator[];
  /** Committed cells of scope rows [from, to). */
  readCells(fromRowPos: number, toRowPos: number): Promise<CellResult[]>;
  isDone(rowPos: number, repeat: number, evaluatorId: string): boolean;
  commit(batch: RowDraft[]): Promise<void>;
  stopReason(): StopReason | null;
  signal: AbortSignal;
  clock: Clock;
  timeoutMs: number;
}

const PAGE = 200;

/** A candidate as row evaluators receive it. */
export interface Candidate {
  id: string;
  output: unknown;
  cost?: number | undefined;
  duration: number;
}

async function evaluateRow(ev: PreparedRowEvaluator, entry: Row, candidates: Candidate[], ports: RowPhasePorts): Promise<{ result: EvaluationResult; durationMs: number }> {
  const started = ports.clock.now();
  const deadline = ports.clock.deadline(ports.timeoutMs, ports.signal);
  try {
    const inputs = { ...resolveInputs(ev.inputs, entry, undefined, []), candidates };
    const result = await ev.instance.evaluate(inputs, {
      row: entry,
      target: { id: ev.variants[0]!, durationMs: 0 },
      signal: deadline.signal,
    });
    return { result: applyControls(result, ev), durationMs: ports.clock.now() - started };
  } catch (error) {
    if (ports.signal.aborted) throw error;
    const details = deadline.expired ? `evaluator timed out after ${ports.timeoutMs} ms` : describeFailure(error);
    return { result: { status: 'error', details, errorType: deadline.expired ? 'Timeout' : 'EvaluatorError' }, durationMs: ports.clock.now() - started };
  } finally {
    deadline.clear();
  }
}

/** Runs phase 2; resolves 'finished', or 'stopped' with the reason. */
export async function runRowPhase(ports: RowPhasePorts): Promise<{ kind: 'finished' } | { kind: 'stopped'; reason: StopReason }> {
  const { spec } = ports;
  const rows = rowsInScope(spec);
  const slots = new Semaphore(spec.concurrency);
  const committer = new GroupCommitter<RowDraft>((batch) => ports.commit(batch), DEFAULT_GROUP_COMMIT, (ms, fire) => ports.clock.later(ms, fire));
  const inFlight = new Set<Promise<void>>();
  let interrupted: StopReason | null = null;

  outer: for (let page = 0; page < rows; page += PAGE) {
    const end = Math.min(rows, page + PAGE);
    const cells = await ports.readCells(page, end);
    const byRow = new Map<string, Map<string, CellResult>>();
    for (const c of cells) {
      const rowPos = Math.floor(c.cell / (spec.targetIds.length * spec.repeats));
      const key = `${rowPos}/${c.repeat}`;
      if (!byRow.has(key)) byRow.set(key, new Map());
      byRow.get(key)!.set(c.targetId, c);
    }
    for (let rowPos = page; rowPos < end; rowPos++) {
      for (let repeat = 0; repeat < spec.repeats; repeat++) {
        const cellsOfRow = byRow.get(`${rowPos}/${repeat}`);
        if (!cellsOfRow) continue;
        for (const ev of ports.evaluators) {
          if (ports.isDone(rowPos, repeat, ev.id)) continue;
          interrupted = ports.stopReason() ?? (ports.signal.aborted ? 'user' : null);
          if (interrupted || committer.error !== undefined) break outer;
          await committer.room();
          let release: () => void;
          try {
            release = await slots.acquire(ports.signal);
          } catch {
            interrupted = ports.stopReason() ?? 'user';
            break outer;
          }
          const task = (async () => {
            const present = ev.variants.map((id) => cellsOfRow.get(id)).filter((c): c is CellResult => c !== undefined);
            const entry = present[0]?.entry ?? {};
            const rowIndex = present[0]?.rowIndex ?? rowPos;
            const usable = present.filter((c) => c.error === undefined);
            const candidates: Candidate[] = usable.map((c) => ({ id: c.targetId, output: c.output, cost: c.cost, duration: c.durationMs }));
            const missing = ev.variants.filter((id) => !usable.some((c) => c.targetId === id));
            const outcome =
              candidates.length >= 2
                ? await evaluateRow(ev, entry, candidates, ports)
                : { result: { status: 'skipped', details: `needs at least two targets with an output; no output from ${missing.join(', ')}` } as EvaluationResult, durationMs: 0 };
            committer.add({
              rowPos, rowIndex, repeat, evaluatorId: ev.id, targetId: ev.variants[0]!, candidates: candidates.map((c) => c.id),
              evaluation: { evaluatorId: ev.id, name: ev.name, result: outcome.result, durationMs: outcome.durationMs },
            });
          })()
            .catch(() => {
              // An abort abandons the row; anything else was turned into an error result above.
            })
            .finally(() => {
              release();
              inFlight.delete(task);
            });
          inFlight.add(task);
        }
      }
    }
  }
  await Promise.all(inFlight);
  await committer.close();
  if (ports.signal.aborted) return { kind: 'stopped', reason: ports.stopReason() ?? 'user' };
  return interrupted ? { kind: 'stopped', reason: interrupted } : { kind: 'finished' };
}
