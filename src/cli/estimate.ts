// `assay run SLUG --estimate`: what the run would cost, printed, and nothing started. The
// figures are the server's (POST …/estimate, from the experiment's earlier runs); this file
// only words them.
import type { EvaluatorEstimate, RunEstimate, TargetEstimate } from '../client/index.js';
import { terminalText } from './terminal-text.js';

/** Dollars with enough digits for a cent's fraction (model calls cost tenths of a cent). */
export function usd(n: number): string {
  if (n === 0) return '$0';
  if (n >= 1) return `$${n.toFixed(2)}`;
  return `$${n.toPrecision(3).replace(/\.?0+$/, '')}`;
}

const runs = (ids: string[]): string => `${ids.length} earlier run${ids.length === 1 ? '' : 's'}`;

/** One part's figure, or why it has none. */
function figure(p: Pick<TargetEstimate | EvaluatorEstimate, 'basis' | 'costPerCell' | 'estimatedCost' | 'fromRuns'>): string {
  switch (p.basis) {
    case 'history':
      return `${usd(p.estimatedCost!)}  (${usd(p.costPerCell!)} a cell, from ${runs(p.fromRuns)})`;
    case 'older_versions':
      return `${usd(p.estimatedCost!)}  (${usd(p.costPerCell!)} a cell, from ${runs(p.fromRuns)} of earlier versions of the experiment)`;
    case 'unpriced':
      return 'unknown: its calls in earlier runs reported no cost';
    case 'none':
      return 'unknown: no earlier finished run made these calls';
  }
}

export function formatEstimate(e: RunEstimate): string {
  const lines = [`Estimate for ${terminalText(e.experimentSlug, 200)} (version ${e.experimentVersion}): ${e.total} cells; nothing was started`];
  const parts = [
    ...e.targets.map((t) => ({ name: terminalText(t.targetId, 40), part: t })),
    ...e.evaluators.map((v) => ({ name: `${terminalText(v.evaluatorId, 40)} (evaluator)`, part: v })),
  ];
  const width = Math.max(10, ...parts.map((p) => p.name.length));
  for (const { name, part } of parts) lines.push(`  ${name.padEnd(width)}  ${String(part.cells).padStart(7)} cells  ${figure(part)}`);
  lines.push(`  ${'total'.padEnd(width)}  ${e.complete ? '' : 'at least '}${usd(e.estimatedCost)}`);
  if (e.budgetUsd !== null) lines.push(`  budget ${usd(e.budgetUsd)}: ${e.overBudget ? 'the run would likely stop for it before the end' : 'within it'}`);
  return `${lines.join('\n')}\n`;
}
