// The run summary (SPEC §5): one zod schema, written by the aggregator, stored with the run,
// sent in the poll body and the `done` event, declared in the OpenAPI document, and read by
// the client, the CLI and the web page. The types below are inferred from it, never restated.
import { z } from 'zod';

/** Token usage of one call or a sum of calls. */
export const tokensSchema = z.object({
  input: z.number(),
  output: z.number(),
  /** Input tokens served from the provider's prompt cache (priced apart). */
  cachedInput: z.number().optional(),
});

/** Why a run stopped early: a user's abort, the budget, its error limit (`maxErrors`), or the server shutting down. */
export const stopReasonSchema = z.enum(['user', 'budget', 'errors', 'shutdown']);
export type StopReason = z.infer<typeof stopReasonSchema>;

export const targetSummarySchema = z.object({
  targetId: z.string(),
  name: z.string(),
  /** Cells of this target that passed (target succeeded, no evaluator failed or errored). */
  passed: z.int(),
  failed: z.int(),
  /** Cells whose target call failed (they count as failed too). */
  errors: z.int(),
  /** Mean duration of successful target calls, ms; absent when none succeeded. */
  avgLatency: z.number().optional(),
  /** USD spent on this target's calls whose cost is known. */
  totalCost: z.number(),
  /**
   * Successful calls of this target with no known cost (a model without a price, an HTTP or
   * code target that reports none): totalCost leaves them out. Absent when every call was priced.
   */
  unpricedCalls: z.int().optional(),
  tokens: z.object({ input: z.number(), output: z.number() }),
});
export type TargetSummary = z.infer<typeof targetSummarySchema>;

export const evaluatorSummarySchema = z.object({
  evaluatorId: z.string(),
  name: z.string(),
  passed: z.int(),
  failed: z.int(),
  errors: z.int(),
  skipped: z.int(),
  /**
   * Percentage of counted results (processed or error; skipped excluded) that did not fail
   * (failing = passed:false or error); equals passed ÷ (passed + failed) for pass/fail
   * evaluators without errors. 0 when nothing counted. A score-only evaluator that never errs
   * has 100 (it failed no cell): passed + failed + errors = 0 means "no verdict", and the CLI
   * and the run page show "—" then. Always a number, since LangWatch's clients print it with
   * toFixed.
   */
  passRate: z.number(),
  /** Mean score among processed results that had one; absent when none (never 0). */
  avgScore: z.number().optional(),
  /** How often each label was given (categories, comparison winners); absent when none. */
  labels: z.record(z.string(), z.int()).optional(),
  /**
   * USD of this evaluator's calls whose cost is known (a judge's model calls); 0 for one that
   * calls no model. Absent in summaries written before 2026-12-06.
   */
  totalCost: z.number().optional(),
  /**
   * Model calls of this evaluator that succeeded with no known cost (a judge on a model without
   * a price): totalCost leaves them out. Absent when none.
   */
  unpricedCalls: z.int().optional(),
  /** Results of this evaluator: processed, errored or skipped. Absent in summaries written before 2026-12-06. */
  results: z.int().optional(),
  /**
   * With repeats > 1, once the run has ended: the standard error of the pass rate (points) and
   * of the mean score over rows, repeats averaged per row first (rows are the samples).
   */
  stderr: z.object({ passRate: z.number().optional(), avgScore: z.number().optional() }).optional(),
  /** With repeats > 1: the 95% t-interval of the pass rate and of the mean score, over rows. */
  ci95: z.object({ passRate: z.tuple([z.number(), z.number()]).optional(), avgScore: z.tuple([z.number(), z.number()]).optional() }).optional(),
  /** With repeats > 1: rows × targets whose repeats disagree (some passed, some did not). */
  flakyRows: z.int().optional(),
});
export type EvaluatorSummary = z.infer<typeof evaluatorSummarySchema>;

/** Failures alike, counted: what `assay run` lists under the summary, commonest first. */
export const errorGroupSchema = z.object({
  /** The target whose calls failed, or the evaluator that errored (one of the two). */
  targetId: z.string().optional(),
  evaluatorId: z.string().optional(),
  /** The first message of the group, cut to 300 characters. */
  message: z.string(),
  count: z.int(),
});
export type ErrorGroup = z.infer<typeof errorGroupSchema>;

/** SPEC §5 summary, plus the cost split and the threshold verdict. */
export const runSummarySchema = z.object({
  runId: z.string(),
  totalCells: z.int(),
  /** Cells whose target succeeded. */
  completedCells: z.int(),
  /** Cells whose target failed (after retries). */
  failedCells: z.int(),
  /** ms from start to finish (or to now, while running). */
  duration: z.number(),
  /**
   * ms the run ran: duration without the pauses between a stop (or a failure, or the end) and a
   * resume. Absent in summaries stored before servers kept it.
   */
  runningTime: z
    .number()
    .optional()
    .describe(
      'ms the run spent running: each execution from its beginning (the start, or a resume) to its finish, summed. ' +
        'Unlike `duration` (finishedAt − startedAt) it leaves out the time a run stood stopped, failed or completed before a resume; ' +
        'time between a crash and another process taking the run over counts as running. Equals `duration` for a run never resumed. ' +
        'Absent in summaries stored before servers kept it.',
    ),
  timestamps: z.object({ startedAt: z.number(), finishedAt: z.number() }),
  runUrl: z.string(),
  /** Cells that passed: the target succeeded and no evaluator returned passed:false or errored. */
  totalPassed: z.int(),
  totalFailed: z.int(),
  /** totalPassed ÷ totalCells, as a percentage (0–100). */
  passRate: z.number(),
  /** USD, targets and evaluators together, of the calls whose cost is known. */
  totalCost: z.number(),
  targetCost: z.number(),
  evaluatorCost: z.number(),
  /**
   * Successful target calls with no known cost, over every target: totalCost and targetCost
   * leave them out, so a run with some is "at least" its totalCost, and one whose totalCost is 0
   * has an unknown cost rather than none. Absent when every target call was priced. Evaluators'
   * calls are counted apart, in evaluatorUnpricedCalls.
   */
  unpricedCalls: z.int().optional(),
  /**
   * Evaluators' model calls with no known cost (a judge on a model without a price): totalCost
   * and evaluatorCost leave them out. Absent when none.
   */
  evaluatorUnpricedCalls: z.int().optional(),
  targets: z.array(targetSummarySchema),
  evaluators: z.array(evaluatorSummarySchema),
  /**
   * Evaluator weights (`weight`, default 1) at work: the weighted share of evaluations that
   * passed (errors count as failing; skipped and label-only results do not count), as a
   * percentage. Absent when no evaluation gave a verdict.
   */
  weightedPassRate: z.number().optional(),
  /** The weighted mean of the scores evaluators gave; absent when none did. */
  weightedAvgScore: z.number().optional(),
  stopReason: stopReasonSchema.optional(),
  /**
   * The commonest errors, at most 5: failed target calls per target and evaluator errors per
   * evaluator, grouped by message (digits, and what follows the first 80 characters, do not
   * tell two apart). Absent when nothing failed. Counted among the first 200 kinds a run meets.
   */
  topErrors: z.array(errorGroupSchema).optional(),
  /**
   * Cells a person reviewed (PUT /runs/{runId}/reviews). Computed on read from the stored
   * reviews (GET /runs/{runId}), never stored with the summary; absent in events and webhooks.
   */
  reviewed: z.int().optional(),
  /**
   * The pass rate (0–100) over totalCells where reviews override verdicts: a review of the cell
   * decides it; a review of an evaluator replaces that evaluator's verdict. Equals passRate
   * when nothing was reviewed. The evaluators' own figures above stay as they were.
   */
  reviewedPassRate: z.number().optional(),
  /** The experiment's thresholds.passRate and whether this run met it. */
  threshold: z.object({ passRate: z.number(), met: z.boolean() }).optional(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;
