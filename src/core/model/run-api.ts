// The run API's answers (SPEC §5), one zod schema each: what a started run answers, the poll
// body, the runs list and the results page. Routes declare them as their response schemas (so
// the OpenAPI document is typed), the client and the web page infer their types from them,
// and src/app/runs/present.ts maps stored records onto them in one place.
import { z } from 'zod';
import { modelParamsSchema } from './experiment.js';
import { paginationSchema } from './paging.js';
import { runSummarySchema, stopReasonSchema } from './summary.js';

export const runStatusValueSchema = z.enum(['running', 'completed', 'failed', 'stopped']);

/** POST /{slug}/run, JSON mode; also POST /runs/{id}/resume. */
export const runStartedSchema = z.object({
  runId: z.string(),
  status: z.literal('running'),
  /** Cells the run will execute: rows × targets × repeats. */
  total: z.int(),
  runUrl: z.string(),
});
export type RunStarted = z.infer<typeof runStartedSchema>;

/**
 * What a run was started with, resolved when it started (an Assay extension of the poll body):
 * where its rows came from, the row selection, parameters, targets, evaluators and repeats.
 * Enough to start the same run again, or part of it (the run page's "Re-run failed rows").
 */
export const runRequestEchoSchema = z.object({
  experimentVersion: z.int().describe('The version of the experiment the run used'),
  rows: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('experiment').describe("The rows inline in the experiment's document") }),
      z.object({
        kind: z.literal('dataset').describe('A saved dataset: the one the experiment refers to, or the run request\'s `dataset_id`'),
        datasetId: z.string(),
        version: z.int(),
        slug: z.string().optional().describe("The dataset's slug when the run started; absent for runs started before servers kept it"),
        name: z.string().optional().describe("The dataset's name when the run started; absent for runs started before servers kept it"),
      }),
      z.object({ kind: z.literal('inline').describe('The run request\'s `data`') }),
      z.object({ kind: z.literal('parameters').describe('No rows: one row made of `parameters`') }),
    ])
    .describe('Where the rows came from'),
  rowCount: z.int().describe('Rows in that source when the run started'),
  rowIndices: z.int().nullable().describe('How many rows `row_indices` selected; null when the run took every row'),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  targets: z.array(z.string()).describe('Target ids the run ran, in its order'),
  evaluators: z.array(z.string()).describe('Evaluator ids the run ran, in its order'),
  repeats: z.int(),
});
export type RunRequestEcho = z.infer<typeof runRequestEchoSchema>;

/** GET /runs/{runId}: the poll body (LangWatch's field order). */
export const runStatusSchema = z.object({
  runId: z.string(),
  status: runStatusValueSchema,
  progress: z.int(),
  total: z.int(),
  startedAt: z.number().describe('Unix ms'),
  finishedAt: z.number().optional().describe('Unix ms; once the run has ended'),
  summary: runSummarySchema.optional().describe('Once the run has ended'),
  /** Stable code when the run failed (`all_targets_failed`, `run_crashed_repeatedly`, …). */
  error: z.string().optional(),
  message: z.string().optional(),
  stopReason: stopReasonSchema.optional(),
  executionStartedAt: z
    .number()
    .optional()
    .describe("Unix ms; while a resumed run runs: when its current execution began (its last resume). Assay's addition"),
  runningTimeBefore: z
    .number()
    .optional()
    .describe(
      "ms; while a resumed run runs: how long its earlier executions ran. Its running time so far is this plus the time since executionStartedAt, without the pauses `startedAt` counts (the summary's `runningTime` once it ends). Assay's addition",
    ),
  /** The `metadata` object the run was started with ({} when none): echoed, never interpreted. */
  metadata: z.record(z.string(), z.unknown()),
  /** Always sent by this server; optional so that clients keep reading servers from before it. */
  request: runRequestEchoSchema.optional(),
  runUrl: z.string().optional().describe("The run's page (as in the start's answer); sent by servers since 2026-12-06"),
});
export type RunStatusBody = z.infer<typeof runStatusSchema>;

/** A list item's summary: LangWatch's shape (dataset/evaluation costs, per-evaluator averages) over ours. */
export const listSummarySchema = runSummarySchema.extend({
  datasetCost: z.number(),
  evaluationsCost: z.number(),
  datasetAverageCost: z.number(),
  evaluations: z.record(z.string(), z.object({ name: z.string(), averageScore: z.number().nullable(), averagePassed: z.number().optional() })),
});

export const runListItemSchema = z.object({
  experimentId: z.string(),
  runId: z.string(),
  status: runStatusValueSchema,
  workflowVersion: z.null(),
  timestamps: z.object({
    createdAt: z.number(),
    updatedAt: z.number(),
    finishedAt: z.number().nullable(),
    stoppedAt: z.number().nullable(),
  }),
  progress: z.int(),
  total: z.int(),
  /** The figures so far while the run goes (from its last commit), the final ones once it ended; null before the first commit. */
  summary: listSummarySchema.nullable(),
  /** The run's `metadata` ({} when none). */
  metadata: z.record(z.string(), z.unknown()),
  experimentVersion: z.int().optional().describe('The version of the experiment the run ran (sent since 2026-12-06)'),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional().describe("The run's `parameters` ({} when none; sent since 2026-12-06)"),
  rowCount: z.int().optional().describe("Rows in the run's source when it started, as the poll body's `request.rowCount` (sent since 2026-12-06)"),
  rowIndices: z.int().nullable().optional().describe('How many rows `row_indices` selected, as the poll body\'s `request.rowIndices`; null when the run took every row (sent since 2026-12-06)'),
});
export type RunListItem = z.infer<typeof runListItemSchema>;

/** GET /runs?experimentSlug= */
export const runListSchema = z.object({
  experimentId: z.string(),
  experimentSlug: z.string(),
  runs: z.array(runListItemSchema),
  pagination: paginationSchema,
});
export type RunList = z.infer<typeof runListSchema>;

const nullableTokens = z.object({ input: z.number(), output: z.number() }).nullable();

/** One cell in the results page and the JSON Lines export (LangWatch's `dataset` entries). */
export const datasetEntrySchema = z.object({
  index: z.int().describe('Row index'),
  targetId: z.string(),
  repeat: z.int(),
  /** The row as evaluated (run parameters merged in). */
  entry: z.record(z.string(), z.unknown()),
  /** Present when the target succeeded. */
  predicted: z.object({ output: z.unknown() }).optional(),
  cost: z.number().nullable(),
  duration: z.number().describe('ms of the last attempt'),
  tokens: nullableTokens,
  attempts: z.int(),
  cached: z.boolean(),
  /** Present (non-null) when the target failed. */
  error: z.string().nullable(),
  /** The process that executed the cell (in a cluster, the worker); absent for cells stored before cluster mode. */
  workerId: z.string().optional(),
  /**
   * With repeats > 1: per evaluator, the verdicts of all repeats of this row × target (the same
   * on each of its repeats): how many gave one (errors and failed targets count as failing),
   * how many passed, pass@k (at least one passed) and pass^k (all passed).
   */
  repeats: z.record(z.string(), z.object({ n: z.int(), passed: z.int(), passAtK: z.boolean(), passHatK: z.boolean() })).optional(),
});
export type DatasetEntry = z.infer<typeof datasetEntrySchema>;

/** One evaluator result in the results page (LangWatch's `evaluations` entries). */
export const evaluationEntrySchema = z.object({
  evaluator: z.string().describe('Evaluator id'),
  name: z.string(),
  targetId: z.string(),
  index: z.int(),
  repeat: z.int(),
  status: z.enum(['processed', 'skipped', 'error']),
  passed: z.boolean().nullable(),
  score: z.number().nullable(),
  label: z.string().nullable(),
  details: z.string().nullable(),
  cost: z.number().nullable(),
  /** Model calls of this evaluation with no known cost (a model without a price), which `cost` leaves out; absent when none. */
  unpricedCalls: z.int().optional(),
  duration: z.number(),
  /** Row-scoped evaluators (comparisons): the targets compared. */
  inputs: z.object({ candidates: z.array(z.object({ id: z.string() })) }).optional(),
});
export type EvaluationEntry = z.infer<typeof evaluationEntrySchema>;

/** GET /runs/{runId}/results */
export const resultsPageSchema = z.object({
  experimentId: z.string(),
  runId: z.string(),
  projectId: z.string(),
  progress: z.int(),
  total: z.int(),
  targets: z.array(z.object({ id: z.string(), name: z.string(), type: z.string().nullable(), model: z.string().nullable() })),
  dataset: z.array(datasetEntrySchema),
  evaluations: z.array(evaluationEntrySchema),
  timestamps: z.object({ createdAt: z.number(), updatedAt: z.number(), finishedAt: z.number().nullable(), stoppedAt: z.number().nullable() }),
  pagination: z.object({
    offset: z.int(),
    limit: z.int(),
    total: z.int(),
    // Optional so that a client reads a server from before it (which never cut a page short).
    nextOffset: z
      .int()
      .nullable()
      .optional()
      .describe('Where the next page starts; null once this page holds the last committed cell. A page holds fewer than `limit` cells when its cells pass 4 MB of stored text: follow nextOffset, not the page length.'),
  }),
  /** The run's `metadata` ({} when none). */
  metadata: z.record(z.string(), z.unknown()),
});
export type ResultsPage = z.infer<typeof resultsPageSchema>;

/** A line of the JSON Lines export: a dataset entry with its evaluations. */
export const exportLineSchema = datasetEntrySchema.extend({ evaluations: z.array(evaluationEntrySchema) });
export type ExportLine = z.infer<typeof exportLineSchema>;

/** GET /runs/{runId}/rows: the rows the run reads, as its targets saw them. */
export const runRowsPageSchema = z.object({
  runId: z.string(),
  offset: z.int(),
  limit: z.int(),
  rows: z.array(z.object({
    index: z.int().describe("The row's index in its source: the `index` of its cells in the results"),
    entry: z.record(z.string(), z.unknown()).describe("The row with the run's parameters merged"),
  })),
  nextOffset: z.int().nullable().describe('Where the next page starts; null once no row of the run is left'),
});
export type RunRowsPage = z.infer<typeof runRowsPageSchema>;

const promptRequestSchema = z.object({
  runId: z.string(),
  rowIndex: z.int(),
  targetId: z.string(),
  type: z.literal('prompt'),
  model: z.string().describe('provider/model, as the target names it'),
  params: modelParamsSchema.optional().describe("The target's model parameters (temperature, maxTokens…)"),
  messages: z
    .array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }))
    .optional()
    .describe("The messages the target sent for this row: its templates rendered over the row as the run saw it, the run's parameters and the target's variables"),
  outputSchema: z.unknown().optional().describe('The JSON Schema the answer was asked to follow, when the target has one'),
  error: z.string().optional().describe("Why the messages could not be rendered for this row (the cell failed the same way); then there are no messages"),
});

const httpRequestSchema = z.object({
  runId: z.string(),
  rowIndex: z.int(),
  targetId: z.string(),
  type: z.literal('http'),
  method: z.string().optional(),
  url: z.string().optional().describe("The URL the first request went to (before any redirect), or its template when it reads secrets"),
  headers: z.record(z.string(), z.string()).optional().describe('Request headers (lower case), the defaults included; a value read from secrets is shown as its template'),
  body: z.string().optional().describe('The request body as sent; absent for a GET or a target without body'),
  unrendered: z.array(z.string()).optional().describe('Parts shown as their templates because they read secrets (`url`, `headers.NAME`, `auth.username`, `auth.password`, `auth.token`): secret values are never rendered here'),
  error: z.string().optional().describe('Why the request could not be rendered for this row (the cell failed the same way)'),
});

/** GET /runs/{runId}/request: what a prompt or HTTP target sent for one row. */
export const cellRequestSchema = z.discriminatedUnion('type', [promptRequestSchema, httpRequestSchema]);
export type CellRequest = z.infer<typeof cellRequestSchema>;
