// What a run would cost, said before it starts (POST /api/experiments/{slug}/estimate): the
// cells it would run and, per target and per evaluator, the cost per cell that earlier
// finished runs of the experiment paid. One zod schema: the route's response, the OpenAPI
// document and the client's type.
import { z } from 'zod';

/** Where a part's cost per cell comes from. */
export const estimateBasisSchema = z.enum([
  /** Earlier runs at the experiment's current version paid for these calls. */
  'history',
  /** Only runs at earlier versions did (the prompt or model may have changed since). */
  'older_versions',
  /** Earlier runs made these calls, and none had a known cost (an HTTP or code target, a model without a price, a judge on one). */
  'unpriced',
  /**
   * No earlier finished run made these calls (a prompt target): priced from the model's price,
   * for the prompts as rendered for a sample of the rows and answers as long as the target's
   * `params.maxTokens` allows, so at most that.
   */
  'prices',
  /** As `prices`, but the target sets no `maxTokens`: the prompts only, so at least that. */
  'prices_input',
  /** An evaluator that calls no model (exact match, regex, custom code…): it costs nothing. */
  'no_model',
  /** No earlier finished run made these calls. */
  'none',
]);
export type EstimateBasis = z.infer<typeof estimateBasisSchema>;

const partFields = {
  basis: estimateBasisSchema,
  /** USD per cell from the earlier runs (or the prices); absent when basis is unpriced or none. */
  costPerCell: z.number().optional(),
  /** costPerCell × the cells the part would run; absent with costPerCell. */
  estimatedCost: z.number().optional(),
  /** The earlier runs the figure comes from, newest first. */
  fromRuns: z.array(z.string()),
  /** Basis prices or prices_input: the prompt's tokens a cell, about (4 characters a token), over the rows sampled. */
  inputTokensPerCell: z.number().optional(),
  /** Basis prices: the answer's tokens a cell at most (the target's maxTokens). */
  outputTokensPerCell: z.number().optional(),
  /** Basis prices or prices_input: the rows whose prompts were rendered. */
  rowsSampled: z.int().optional(),
};

export const targetEstimateSchema = z.object({
  targetId: z.string(),
  /** Cells of this target: rows × repeats. */
  cells: z.int(),
  ...partFields,
});
export type TargetEstimate = z.infer<typeof targetEstimateSchema>;

export const evaluatorEstimateSchema = z.object({
  evaluatorId: z.string(),
  /** The run's cells: an evaluator's cost is counted per cell of the runs it ran in. */
  cells: z.int(),
  ...partFields,
});
export type EvaluatorEstimate = z.infer<typeof evaluatorEstimateSchema>;

export const runEstimateSchema = z.object({
  experimentSlug: z.string(),
  experimentVersion: z.int(),
  /** Cells the run would execute: rows × targets × repeats (the `total` a run would start with). */
  total: z.int(),
  targets: z.array(targetEstimateSchema),
  /** Per evaluator of the run, in its order. */
  evaluators: z.array(evaluatorEstimateSchema),
  /** USD: the parts that have an estimate, summed (a lower bound when `complete` is false). */
  estimatedCost: z.number(),
  /**
   * Every part has an estimate: no target or evaluator is without one (basis unpriced or none)
   * or has only its prompts' cost (prices_input), and no evaluator's figure leaves out calls
   * that had no known cost.
   */
  complete: z.boolean(),
  /** The budget the run would have (request, else the experiment's), or null. */
  budgetUsd: z.number().nullable(),
  /** estimatedCost is over budgetUsd: the run would likely stop for its budget. Absent without a budget. */
  overBudget: z.boolean().optional(),
});
export type RunEstimate = z.infer<typeof runEstimateSchema>;
