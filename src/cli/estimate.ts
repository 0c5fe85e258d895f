// `assay run SLUG --estimate`: what the run would cost, printed, and nothing started. The
// figures are the server's (POST …/estimate, from the experiment's earlier runs, else the
// models' prices); this file only words them.
import type { EvaluatorEstimate, RunEstimate, TargetEstimate } from '../client/index.js';
import { counted } from './plural.js';
import { terminalText } from './terminal-text.js';

/** Three significant digits in plain decimals at any size (toPrecision writes 6.00e-7). */
const SMALL = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3, useGrouping: false });

/** Dollars with enough digits for a cent's fraction (a short prompt costs a ten-thousandth of a cent). */
export function usd(n: number): string {
  if (n === 0) return '$0';
  if (n >= 1) return `$${n.toFixed(2)}`;
  return `$${SMALL.format(n)}`;
}

const runs = (ids: string[]): string => counted(ids.length, 'earlier run');

const tokens = (n: number) => Math.round(n).toLocaleString('en-US');

/** One part's figure, or why it has none. */
function figure(p: Pick<TargetEstimate | EvaluatorEstimate, 'basis' | 'costPerCell' | 'estimatedCost' | 'fromRuns' | 'inputTokensPerCell' | 'outputTokensPerCell' | 'rowsSampled'>): string {
  switch (p.basis) {
    case 'history':
      return `${usd(p.estimatedCost!)}  (${usd(p.costPerCell!)} a cell, from ${runs(p.fromRuns)})`;
    case 'older_versions':
      return `${usd(p.estimatedCost!)}  (${usd(p.costPerCell!)} a cell, from ${runs(p.fromRuns)} of earlier versions of the experiment)`;
    case 'prices':
      return `at most ${usd(p.estimatedCost!)}  (${usd(p.costPerCell!)} a cell at the model's price: about ${tokens(p.inputTokensPerCell!)} prompt tokens, from ${counted(p.rowsSampled!, 'row')}, and answers of up to ${tokens(p.outputTokensPerCell!)} tokens, its maxTokens)`;
    case 'prices_input':
      return `at least ${usd(p.estimatedCost!)}  (${usd(p.costPerCell!)} a cell at the model's price for about ${tokens(p.inputTokensPerCell!)} prompt tokens, from ${counted(p.rowsSampled!, 'row')}; the answers are not counted: the target sets no maxTokens)`;
    case 'no_model':
      return '$0  (it calls no model)';
    case 'unpriced':
      return 'unknown: its calls in earlier runs reported no cost';
    case 'none':
      return 'unknown: no earlier finished run made these calls';
  }
}

export function formatEstimate(e: RunEstimate): string {
  const lines = [`Estimate for ${terminalText(e.experimentSlug, 200)} (version ${e.experimentVersion}): ${counted(e.total, 'cell')}; nothing was started`];
  const parts = [
    ...e.targets.map((t) => ({ name: terminalText(t.targetId, 40), part: t })),
    ...e.evaluators.map((v) => ({ name: `${terminalText(v.evaluatorId, 40)} (evaluator)`, part: v })),
  ];
  const width = Math.max(10, ...parts.map((p) => p.name.length));
  for (const { name, part } of parts) lines.push(`  ${name.padEnd(width)}  ${String(part.cells).padStart(7)} ${part.cells === 1 ? 'cell ' : 'cells'}  ${figure(part)}`);
  // Incomplete: a lower bound; complete with answers counted at their maxTokens: an upper bound.
  const bound = !e.complete ? 'at least ' : e.targets.some((t) => t.basis === 'prices') ? 'at most ' : '';
  lines.push(`  ${'total'.padEnd(width)}  ${bound}${usd(e.estimatedCost)}`);
  if (e.budgetUsd !== null) lines.push(`  budget ${usd(e.budgetUsd)}: ${e.overBudget ? 'the run would likely stop for it before the end' : 'within it'}`);
  return `${lines.join('\n')}\n`;
}
