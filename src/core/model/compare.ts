// A comparison of two runs (SPEC §5 "Comparisons"): one zod schema each for the query and the
// answer, declared by the routes (so the OpenAPI document is typed) and read by the client,
// the CLI and the web page.
import { z } from 'zod';

export const changeSchema = z.enum(['regressed', 'improved', 'unchanged']);
export type Change = z.infer<typeof changeSchema>;

export const verdictSchema = z.enum(['regressed', 'improved', 'no_significant_change']);
export type Verdict = z.infer<typeof verdictSchema>;

/** Query of GET /runs/{runId}/compare. */
export const compareQuerySchema = z.object({
  /** A run id, or `previous` (the previous finished run of the same experiment). Default: the run's baselineRunId, else previous. */
  baseline: z.string().min(1).max(200).optional(),
  alpha: z.coerce.number().gt(0).lt(1).default(0.05),
  /** Which row items to list: regressed, improved, changed (both; the default) or all. */
  change: z.enum(['regressed', 'improved', 'changed', 'all']).default('changed'),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type CompareQuery = z.infer<typeof compareQuerySchema>;

const sideStatsSchema = z.object({
  /** Rows (per-row means over repeats) that have a value on both sides. */
  n: z.int(),
  /** Percentage (0–100) of passing verdicts; absent when the evaluator gives none. */
  passRate: z.number().optional(),
  avgScore: z.number().optional(),
  /**
   * USD of this evaluator's results for this target over every cell of the run (matched rows or
   * not, as a target's cost is counted) whose cost is known; absent on both sides when neither
   * side's results had a cost or a model call without one (an evaluator that calls no model).
   */
  cost: z.number().optional(),
  /** Model calls of those results with no known cost (a judge on a model without a price), which `cost` leaves out; absent when none. */
  unpricedCalls: z.int().optional(),
});

export const evaluatorComparisonSchema = z.object({
  evaluatorId: z.string(),
  name: z.string(),
  targetId: z.string(),
  baseline: sideStatsSchema,
  candidate: sideStatsSchema,
  /** candidate − baseline: pass rate in percentage points, score in the evaluator's units, cost in USD. */
  delta: z.object({ passRate: z.number().optional(), avgScore: z.number().optional(), cost: z.number().optional() }),
  test: z.object({
    /** mcnemar_exact (single pass/fail per row), wilcoxon_signed_rank (repeats' means or scores), none (no pairs). */
    name: z.enum(['mcnemar_exact', 'wilcoxon_signed_rank', 'none']),
    /** Which figure was tested: the pass rate when the evaluator gives verdicts, else the score. */
    on: z.enum(['passRate', 'score']),
    pValue: z.number(),
    /** Holm-adjusted across every evaluator × target test of this comparison. */
    pValueAdjusted: z.number(),
    significant: z.boolean(),
    /**
     * 95% interval of the paired difference, in the tested figure's units: Newcombe's score
     * interval for single pass/fail pairs (null without pairs), else the t-interval of the mean
     * difference (null with fewer than 2 pairs).
     */
    ci95: z.tuple([z.number(), z.number()]).nullable(),
  }),
});
export type EvaluatorComparison = z.infer<typeof evaluatorComparisonSchema>;

const targetSideSchema = z.object({
  cells: z.int(),
  /** USD of the calls whose cost is known. */
  cost: z.number(),
  /** Successful calls with no known cost, which `cost` leaves out; absent when none. */
  unpricedCalls: z.int().optional(),
  tokens: z.object({ input: z.number(), output: z.number() }),
  /** ms of successful calls; absent when none succeeded. */
  latencyP50: z.number().optional(),
  latencyP95: z.number().optional(),
  errors: z.int(),
});

export const targetComparisonSchema = z.object({
  targetId: z.string(),
  baseline: targetSideSchema,
  candidate: targetSideSchema,
  delta: z.object({
    cost: z.number(),
    tokens: z.object({ input: z.number(), output: z.number() }),
    latencyP50: z.number().optional(),
    latencyP95: z.number().optional(),
    errors: z.int(),
  }),
});

const itemSideSchema = z.object({
  /** Share of repeats that passed (1/0 without repeats); null when the evaluator gave no verdict. */
  passed: z.union([z.boolean(), z.number()]).nullable(),
  score: z.number().nullable(),
  output: z.unknown(),
});

export const compareItemSchema = z.object({
  rowIndex: z.int(),
  /** The baseline's row index (differs when rows were matched by content). */
  baselineRowIndex: z.int(),
  targetId: z.string(),
  evaluatorId: z.string(),
  change: changeSchema,
  baseline: itemSideSchema,
  candidate: itemSideSchema,
});
export type CompareItem = z.infer<typeof compareItemSchema>;

export const comparisonSchema = z.object({
  runId: z.string(),
  baselineRunId: z.string(),
  alpha: z.number(),
  verdict: verdictSchema,
  /** index: same dataset version, rows paired by index; content: rows paired by a hash of their data (run parameters left out). */
  matchedBy: z.enum(['index', 'content']),
  matched: z.object({ rows: z.int(), cells: z.int() }),
  /** Rows found on one side only (never dropped silently). */
  unmatched: z.object({ candidate: z.int(), baseline: z.int() }),
  evaluators: z.array(evaluatorComparisonSchema),
  targets: z.array(targetComparisonSchema),
  rows: z.object({
    counts: z.object({ regressed: z.int(), improved: z.int(), unchanged: z.int() }),
    items: z.array(compareItemSchema),
    pagination: z.object({ offset: z.int(), limit: z.int(), total: z.int() }),
  }),
});
export type Comparison = z.infer<typeof comparisonSchema>;

/** GET /runs/{runId}/compare/export */
export const compareExportQuerySchema = z.object({
  baseline: z.string().min(1).max(200).optional(),
  format: z.enum(['csv', 'jsonl']).default('jsonl'),
});
