// The run event union (SPEC §6). One schema shared by the engine, the SSE writer, the CLI and
// the web page. Every event carries `seq` (its SSE id) once it has been committed.
import { z } from 'zod';
import { evaluationResultSchema } from './model/results.js';
import { runSummarySchema, stopReasonSchema, tokensSchema } from './model/summary.js';

const cellKey = {
  rowIndex: z.int(),
  targetId: z.string(),
  repeat: z.int(),
};

/** Calls of a run waiting on one limiter key (core/engine/slot-waits.ts). */
export const slotWaitSchema = z.object({
  kind: z.enum(['provider', 'model', 'origin']),
  name: z.string(),
  calls: z.int(),
  limit: z.int().optional(),
  pausedMs: z.number().optional(),
});

export const runEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('execution_started'), runId: z.string(), total: z.int(), runUrl: z.string() }),
  z.object({ type: z.literal('cell_started'), ...cellKey }),
  z.object({
    type: z.literal('target_result'),
    ...cellKey,
    output: z.unknown().optional(),
    cost: z.number().optional(),
    duration: z.number().optional(),
    tokens: tokensSchema.optional(),
    attempts: z.int(),
    cached: z.boolean().optional(),
    error: z.string().optional(),
    /** The process that executed the cell (its lease owner; in a cluster, the worker). Assay's addition. */
    workerId: z.string().optional(),
  }),
  z.object({ type: z.literal('retrying'), ...cellKey, attempt: z.int(), delayMs: z.number(), reason: z.string() }),
  /**
   * Live only, never stored: the calls (targets', judges') of one executor (`source`: a process, or a
   * cluster shard) waiting for a slot now; an empty `waits` says none wait any more. Assay's addition.
   */
  z.object({ type: z.literal('waiting'), source: z.string(), waits: z.array(slotWaitSchema) }),
  z.object({
    type: z.literal('evaluator_result'),
    ...cellKey,
    evaluatorId: z.string(),
    result: evaluationResultSchema,
    duration: z.number(),
    /** Row-scoped evaluators (comparisons): the targets compared. */
    inputs: z.object({ candidates: z.array(z.object({ id: z.string() })) }).optional(),
  }),
  z.object({ type: z.literal('progress'), completed: z.int(), total: z.int() }),
  z.object({ type: z.literal('error'), message: z.string(), code: z.string().optional(), rowIndex: z.int().optional(), targetId: z.string().optional() }),
  z.object({ type: z.literal('stopped'), reason: stopReasonSchema }),
  /** A stopped (or failed) run goes on: the events after this one belong to its new execution. */
  z.object({ type: z.literal('resumed'), retryErrors: z.boolean() }),
  z.object({ type: z.literal('done'), summary: runSummarySchema }),
]);

export type RunEventBody = z.infer<typeof runEventSchema>;
/** A committed event: its body plus its sequence number (the SSE `id:`). */
export type RunEvent = RunEventBody & { seq: number };

/**
 * Events sent the moment they happen, before any commit: a cell's call began, or a retry was
 * scheduled. They travel without a seq (SSE id) and are never stored as such: the committed
 * cell carries the same events with seqs, for replays. A live stream sends each once. A
 * `waiting` has no committed twin: each one replaces the one before from its source.
 */
export type LiveEvent = Extract<RunEventBody, { type: 'cell_started' } | { type: 'retrying' } | { type: 'waiting' }>;
/** A live event that has a committed twin (a cell's). */
export type CellLiveEvent = Extract<LiveEvent, { type: 'cell_started' } | { type: 'retrying' }>;

/** The key of a cell's `cell_started` (live or committed): one per row × target × repeat. */
export function startedKey(c: { rowIndex: number; targetId: string; repeat: number }): string {
  return `s/${c.rowIndex}/${c.targetId}/${c.repeat}`;
}

/** The key a live event and its committed twin share. */
export function liveKey(e: LiveEvent): string {
  if (e.type === 'waiting') return `w/${e.source}`;
  return e.type === 'cell_started' ? startedKey(e) : `r/${e.rowIndex}/${e.targetId}/${e.repeat}/${e.attempt}`;
}

export { isFinalEvent } from './final-event.js';
