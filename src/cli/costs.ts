// Costs as `assay run`, `assay demo` and `assay compare` write them, terminal and Markdown alike.
// A cost is known only from priced calls: a sum of no priced call is unknown ("unknown", or "-"
// in a table), never a $0 that reads as free — but code targets cost nothing, so their calls are
// $0 and never "calls with no known price" (the server counts them as unpriced: it has no
// cost for them; the run's results page names each target's type).
import type { AssayClient, RunSummary } from '../client/index.js';
import { resultsPageSchema } from '../core/model/run-api.js';
import { expectAnswer } from './answers.js';

/** Ids of a run's code targets (free); undefined when their types are not known. */
export type FreeTargets = ReadonlySet<string> | undefined;

/** Two significant digits, in plain decimals at any size (toPrecision writes 7.1e-4). */
const SMALL = new Intl.NumberFormat('en-US', { minimumSignificantDigits: 2, maximumSignificantDigits: 2, useGrouping: false });

/** Dollars: below a cent with two significant digits as the run page writes them ($0.00071, never $0.0000). */
export function usd(n: number): string {
  if (n === 0) return '$0';
  if (Math.abs(n) < 0.01) return `$${SMALL.format(n)}`;
  return `$${n.toFixed(Math.abs(n) < 1 ? 4 : 2)}`;
}

/**
 * A cost that leaves out `unpriced` calls (no known price): `unknown` when nothing was priced,
 * "≥ $x" when some calls were.
 */
export const knownUsd = (n: number, unpriced: number | undefined, unknown = 'unknown') => (!unpriced ? usd(n) : n === 0 ? unknown : `≥ ${usd(n)}`);

type Target = RunSummary['targets'][number];
const cells = (t: Target) => t.passed + t.failed;
/** Calls of a target that succeeded with a known cost (failed calls have none). */
const pricedCalls = (t: Target) => cells(t) - t.errors - (t.unpricedCalls ?? 0);

/** A target's cost: $0 for a code target, "-" when none of its calls was priced (all failed, or none had a price). */
export function targetUsd(t: Target, free: FreeTargets): string {
  if (free?.has(t.targetId)) return usd(0);
  if (pricedCalls(t) <= 0 && t.totalCost === 0) return '-';
  return knownUsd(t.totalCost, t.unpricedCalls, '-');
}

/** Target calls with no known price, code targets' left out (they are free). */
export function unpricedTargetCalls(s: RunSummary, free: FreeTargets): number {
  const freeCalls = s.targets.reduce((n, t) => n + (free?.has(t.targetId) ? (t.unpricedCalls ?? 0) : 0), 0);
  return Math.max(0, (s.unpricedCalls ?? 0) - freeCalls);
}

/** The run's cost: "unknown" when no call was priced (nor free), "≥ $x" when some had no price. */
export function runUsd(s: RunSummary, free: FreeTargets): string {
  const known = s.totalCost > 0 || s.targets.some((t) => (free?.has(t.targetId) ? cells(t) > 0 : pricedCalls(t) > 0));
  if (!known) return 'unknown';
  return knownUsd(s.totalCost, unpricedTargetCalls(s, free) + (s.evaluatorUnpricedCalls ?? 0));
}

/** An evaluator's cost: "-" for one that had none to count (it calls no model, or an older summary). */
export const evaluatorUsd = (e: RunSummary['evaluators'][number]) => (!e.totalCost && !e.unpricedCalls ? '-' : knownUsd(e.totalCost ?? 0, e.unpricedCalls, 'unknown'));

const calls = (n: number, what: string) => `${n} ${what} call${n === 1 ? '' : 's'}`;

/**
 * What the run's cost leaves out, in words ("cost leaves out 3 target calls with no known price
 * …"), or undefined when nothing. Code targets are named among the kinds only when the targets'
 * types are not known.
 */
export function costNote(s: RunSummary, free: FreeTargets): string | undefined {
  const unpricedTargets = unpricedTargetCalls(s, free);
  const unpricedJudged = s.evaluatorUnpricedCalls ?? 0;
  const leftOut: string[] = [];
  if (unpricedTargets) leftOut.push(`${calls(unpricedTargets, 'target')} with no known price ${free ? '(a model without one, or an HTTP target)' : '(a model without one, an HTTP or code target)'}`);
  if (unpricedJudged) leftOut.push(`${calls(unpricedJudged, 'judge model')} with no known price`);
  return leftOut.length > 0 ? `cost leaves out ${leftOut.join(' and ')}` : undefined;
}

/**
 * The ids of a run's code targets, from its results page (limit 0: the targets and counts, no
 * cells); undefined when the server does not say (the cost is then worded as before).
 */
export async function freeTargets(client: AssayClient, runId: string): Promise<FreeTargets> {
  const path = `GET /api/experiments/runs/${encodeURIComponent(runId)}/results`;
  try {
    const page = expectAnswer(resultsPageSchema, await client.results(runId, 0, 0), client.endpoint, path);
    return new Set(page.targets.filter((t) => t.type === 'code').map((t) => t.id));
  } catch {
    // Only wording depends on it: a run's verdict and reports must not fail for it.
    return undefined;
  }
}
