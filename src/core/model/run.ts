// Runs (SPEC §5): the request that starts one, the frozen spec a run executes from (so it can
// be resumed from its record alone), the run record, and the stored result of one cell.
import { z } from 'zod';
import type { EvaluationResult, Tokens } from './results.js';
import type { RunSummary, StopReason } from './summary.js';

export type { EvaluatorSummary, RunSummary, StopReason, TargetSummary } from './summary.js';
import { rowsSchema, type Row, webhookUrlSchema } from './experiment.js';

const paramValue = z.union([z.string(), z.number(), z.boolean()]);

/** Most `row_indices` one run request may list. */
export const MAX_ROW_INDICES = 100_000;

/**
 * `row_indices`, checked in one loop: zod's own per-element parse of a million held the main
 * thread ≈ 55 ms, this loop ≈ 7 ms. At most 100,000 (docs/decisions.md, "Limits"): a million,
 * the former bound, held it 130–200 ms to start the run and 30–70 ms at every poll of it.
 * Documented as the array it is.
 */
const rowIndicesSchema = z
  .custom<number[]>((v) => Array.isArray(v), { message: 'expected an array of non-negative integers' })
  .superRefine((indices, ctx) => {
    if (indices.length > MAX_ROW_INDICES) {
      ctx.addIssue({ code: 'custom', message: `too many row indices: ${indices.length} (at most ${MAX_ROW_INDICES})` });
      return;
    }
    for (let i = 0; i < indices.length; i++) {
      const n: unknown = indices[i];
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
        ctx.addIssue({ code: 'custom', path: [i], message: 'expected a non-negative integer' });
        return;
      }
    }
  })
  .meta({ type: 'array', items: { type: 'integer', minimum: 0 }, maxItems: MAX_ROW_INDICES });

/** Bytes of a run's `metadata` as JSON, at most. */
export const MAX_METADATA_BYTES = 64 * 1024;

/**
 * A run's `metadata` is returned by every poll, every page of the runs list and the results:
 * 2 MB of it (the body limit allows 4) made each poll parse and send 2 MB, and each list page
 * fifty times that. Labels (commit, branch, suite) are bytes to kilobytes.
 */
const metadataSchema = z.record(z.string(), z.unknown()).superRefine((metadata, ctx) => {
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  if (bytes > MAX_METADATA_BYTES) ctx.addIssue({ code: 'custom', message: `metadata is ${bytes} bytes as JSON (at most ${MAX_METADATA_BYTES})` });
});

/** Bytes of a run's `parameters` as JSON, at most: like `metadata`, they come back with every poll. */
export const MAX_PARAMETERS_BYTES = 64 * 1024;

/**
 * POST /{slug}/run body: LangWatch's fields plus Assay extensions. Unknown keys are refused
 * (LangWatch ignores them, but none of its clients sends any, and a misspelt `repeat` or
 * `row_indexes` silently ran every row once).
 */
export const runRequestSchema = z.strictObject({
  /** Inline rows instead of the saved dataset. */
  data: rowsSchema().optional(),
  /** A saved dataset (id or slug) instead of the experiment's. */
  dataset_id: z.string().min(1).max(200).optional(),
  /** Constants merged into every row (overriding same-named columns). */
  parameters: z
    .record(z.string(), paramValue)
    .superRefine((parameters, ctx) => {
      const bytes = Buffer.byteLength(JSON.stringify(parameters));
      if (bytes > MAX_PARAMETERS_BYTES) ctx.addIssue({ code: 'custom', message: `parameters are ${bytes} bytes as JSON (at most ${MAX_PARAMETERS_BYTES})` });
    })
    .optional(),
  /** Zero-based rows to run; out-of-range ones are ignored, duplicates run twice. */
  row_indices: rowIndicesSchema.optional(),
  concurrency: z.int().min(1).max(1000).optional(),
  repeats: z.int().min(1).max(100).optional(),
  /** Run only these targets (ids). */
  targets: z.array(z.string()).min(1).optional(),
  /** Run only these evaluators (ids). */
  evaluators: z.array(z.string()).optional(),
  budgetUsd: z.number().positive().optional(),
  /**
   * Stop starting cells once this many target calls of the run have failed (status `stopped`,
   * stopReason `errors`; `failed` when none succeeded). Without it, a run stops early only when
   * the first 20 calls all failed.
   */
  maxErrors: z.int().min(1).max(100_000_000).optional(),
  baselineRunId: z.string().max(200).optional(),
  /** Receives a signed POST when the run ends (docs/webhooks.md); http or https only. */
  webhookUrl: webhookUrlSchema.optional(),
  /** Labels kept with the run and returned wherever it is (poll, lists, results): small by design. */
  metadata: metadataSchema.optional(),
});
export type RunRequest = z.infer<typeof runRequestSchema>;

export type RunStatus = 'running' | 'completed' | 'failed' | 'stopped';
export const TERMINAL: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'stopped']);

/** Where a run's rows come from; rows are read lazily in pages, never all at once. */
export type RowSourceSpec =
  | { kind: 'experiment'; experimentId: string; version: number }
  | {
      kind: 'dataset';
      datasetId: string;
      version: number;
      rowCount: number;
      /** The dataset's slug and name when the run started, for pages that name it (absent in runs stored before they were kept). */
      slug?: string;
      name?: string;
    }
  | { kind: 'inline' }
  | { kind: 'parameters' };

/** Everything a run needs, frozen when it starts. */
export interface RunSpec {
  experimentId: string;
  experimentSlug: string;
  experimentVersion: number;
  rows: RowSourceSpec;
  /** Number of rows in the source (before row_indices). */
  sourceRowCount: number;
  /** Row positions to run, in order; null = all rows 0…sourceRowCount-1. */
  rowIndices: number[] | null;
  parameters: Record<string, string | number | boolean>;
  /** Target ids in configuration order. */
  targetIds: string[];
  /** Evaluator ids in configuration order. */
  evaluatorIds: string[];
  repeats: number;
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  budgetUsd: number | null;
  /** Failed target calls that stop the run (absent: stop only when the first 20 all failed; and in runs stored before it). */
  maxErrors?: number;
  cache: boolean;
  baselineRunId: string | null;
  webhookUrl: string | null;
  /** The experiment's webhooks as the run started, with their events (absent in runs stored before them). */
  webhooks?: { url: string; events: ('started' | 'completed' | 'failed' | 'stopped')[] }[];
  metadata: Record<string, unknown>;
  runUrl: string;
}


/** The run record. */
export interface RunRecord {
  id: string;
  projectId: string;
  experimentId: string;
  experimentSlug: string;
  status: RunStatus;
  total: number;
  /** Cells committed so far. */
  progress: number;
  startedAt: number;
  finishedAt: number | null;
  spec: RunSpec;
  summary: RunSummary | null;
  /** Stable code when failed. */
  error: string | null;
  errorMessage: string | null;
  stopReason: StopReason | null;
  /** Next event sequence number to assign. */
  nextSeq: number;
  abortRequested: boolean;
  /** Last write by an executor (a commit, the finish) or a reopen; absent before it is stored. */
  updatedAt?: number;
  /** The summary as of the last commit while running (the runs list shows it); the final one is `summary`. */
  liveSummary?: RunSummary | null;
  /**
   * ms the run's executions that ended before the current one ran, each from its beginning to its
   * finish (a reopen adds the ended one's); absent: 0. The summary's `runningTime` adds the current one's.
   */
  earlierRunningMs?: number;
  /** When the current execution began: the run's start, then the time of its latest reopen; absent: `startedAt`. */
  executionStartedAt?: number;
}

/**
 * What the summary's `runningTime` is made of: the earlier executions' ms and when the current
 * one began. Time between a crash and another process taking the run over is the same execution.
 */
export function runningClock(run: Pick<RunRecord, 'startedAt' | 'earlierRunningMs' | 'executionStartedAt'>): { earlierRunningMs: number; executionStartedAt: number } {
  return { earlierRunningMs: run.earlierRunningMs ?? 0, executionStartedAt: run.executionStartedAt ?? run.startedAt };
}

/** One retry, as recorded in a cell's attempt history. */
export interface RetryNote {
  attempt: number;
  delayMs: number;
  reason: string;
}

/** One evaluator's result on a cell, as stored. */
export interface StoredEvaluation {
  evaluatorId: string;
  name: string;
  result: EvaluationResult;
  durationMs: number;
}

/** What every cell records, whatever its outcome. */
export interface CellBase {
  /** Position in the run's plan (row-major). */
  cell: number;
  rowIndex: number;
  targetId: string;
  repeat: number;
  /** The row as the target saw it (run parameters merged in). */
  entry: Row;
  /** USD of the target call, when known. */
  cost?: number;
  /** ms of the last attempt. */
  durationMs: number;
  tokens?: Tokens;
  attempts: number;
  retries: RetryNote[];
  /** Served from the response cache (only ever true for a succeeded cell). */
  cached: boolean;
  /** The evaluators' results, in configuration order (none when the target failed). */
  evaluations: StoredEvaluation[];
}

/**
 * How the target call ended: it answered with an output, or it failed (after its retries) with
 * an error. One or the other, never both and never neither.
 */
export type CellOutcome = { ok: true; output: unknown } | { ok: false; error: string };

/** What the log assigns at commit (core/run-store.ts). */
export interface CellCommit {
  /** Sequence of this cell's first event, and its count of events. */
  firstSeq: number;
  eventCount: number;
  /** Unique and increasing in commit order, across re-runs too. */
  completedOrder: number;
  /** Cells committed once this one was (its `progress.completed`). */
  progress: number;
  /** The process that executed and committed it (its lease owner); absent for cells stored before cluster mode. */
  workerId?: string;
}

/** The committed outcome of one cell (row × target × repeat). */
export type CellResult = CellBase & CellOutcome & CellCommit;

/** A committed cell without its output (and its entry only when asked): what comparisons stream. */
export type LeanCell = Pick<CellResult, 'cell' | 'rowIndex' | 'targetId' | 'repeat' | 'ok' | 'durationMs' | 'cost' | 'tokens' | 'evaluations'> & { entry?: Row; /** Why the target call failed (a failed cell). */ error?: string };

/** A position in row order: row index, then cell number. */
export interface RowOrderKey {
  rowIndex: number;
  cell: number;
}

/** The committed result of a row-scoped evaluator (N-way comparison) on one row and repeat. */
export interface RowResult {
  rowPos: number;
  rowIndex: number;
  repeat: number;
  evaluatorId: string;
  /** The target the result is reported under (the first compared target, as LangWatch does). */
  targetId: string;
  /** Target ids that were compared. */
  candidates: string[];
  evaluation: StoredEvaluation;
  /** Sequence number of its evaluator_result event. */
  seq: number;
}
