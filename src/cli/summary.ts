// The end-of-run summary printed by `assay run` and `assay demo`.
import type { RunSummary } from '../client/index.js';
import { terminalText } from './terminal-text.js';

const pct = (n: number) => `${n.toFixed(1)}%`;
const usd = (n: number) => `$${n.toFixed(4)}`;
/**
 * A cost that leaves out `unpriced` calls (no known price): "unknown" when nothing was priced,
 * "≥ $x" when some calls were, never a $0 that reads as free.
 */
export const knownUsd = (n: number, unpriced: number | undefined, unknown = 'unknown') => (!unpriced ? usd(n) : n === 0 ? unknown : `≥ ${usd(n)}`);
const calls = (n: number, what: string) => `${n} ${what} call${n === 1 ? '' : 's'}`;
/** An evaluator's cost: "-" for one that had none to count (it calls no model, or an older summary). */
const evaluatorUsd = (e: RunSummary['evaluators'][number]) => (!e.totalCost && !e.unpricedCalls ? '-' : knownUsd(e.totalCost ?? 0, e.unpricedCalls, 'unknown'));
/** Why a run stopped, in words (summary.stopReason). */
const STOP_REASONS: Record<string, string> = {
  user: 'stopped by a user', budget: 'its cost budget was reached', errors: 'its error limit (maxErrors) was reached', shutdown: 'the server shut down',
};

export function formatSummary(status: string, summary: RunSummary | undefined, runUrl: string): string {
  const lines: string[] = [];
  const why = summary?.stopReason ? ` (${STOP_REASONS[summary.stopReason] ?? summary.stopReason})` : '';
  lines.push('', `Run ${summary?.runId ?? ''} ${status.toUpperCase()}${why}`);
  if (summary) {
    const unpricedJudged = summary.evaluatorUnpricedCalls ?? 0;
    lines.push(
      `  cells ${summary.totalCells}  passed ${summary.totalPassed}  failed ${summary.totalFailed}  pass rate ${pct(summary.passRate)}  ` +
        `duration ${(summary.duration / 1000).toFixed(1)} s  cost ${knownUsd(summary.totalCost, (summary.unpricedCalls ?? 0) + unpricedJudged)}`,
    );
    if (summary.targets.length > 0) {
      lines.push('', '  target                 passed  failed  errors  avg latency       cost');
      for (const t of summary.targets) {
        lines.push(
          `  ${t.name.padEnd(22).slice(0, 22)} ${String(t.passed).padStart(6)}  ${String(t.failed).padStart(6)}  ${String(t.errors).padStart(6)}  ` +
            `${(t.avgLatency === undefined ? '-' : `${t.avgLatency} ms`).padStart(11)}  ${knownUsd(t.totalCost, t.unpricedCalls, '-').padStart(9)}`,
        );
      }
    }
    const leftOut: string[] = [];
    if (summary.unpricedCalls) leftOut.push(`${calls(summary.unpricedCalls, 'target')} with no known price (a model without one, an HTTP or code target)`);
    if (unpricedJudged) leftOut.push(`${calls(unpricedJudged, 'judge model')} with no known price`);
    if (leftOut.length > 0) lines.push('', `  cost leaves out ${leftOut.join(' and ')}`);
    if (summary.evaluators.length > 0) {
      lines.push('', '  evaluator              passed  failed  errors skipped  pass rate  avg score       cost');
      // An evaluator that gave no verdict (scores only, or every result skipped) has no pass rate to
      // show: the API's figure is a number for LangWatch's clients (docs/decisions.md).
      for (const e of summary.evaluators) {
        lines.push(
          `  ${e.name.padEnd(22).slice(0, 22)} ${String(e.passed).padStart(6)}  ${String(e.failed).padStart(6)}  ${String(e.errors).padStart(6)} ${String(e.skipped).padStart(7)}  ` +
            `${(e.passed + e.failed + e.errors > 0 ? pct(e.passRate) : '-').padStart(9)}  ${(e.avgScore === undefined ? '-' : e.avgScore.toFixed(3)).padStart(9)}  ${evaluatorUsd(e).padStart(9)}`,
        );
      }
    }
    if (summary.topErrors?.length) {
      lines.push('', '  commonest errors');
      for (const g of summary.topErrors) {
        const who = g.targetId !== undefined ? `target ${g.targetId}` : `evaluator ${g.evaluatorId ?? '?'}`;
        lines.push(`  ${String(g.count).padStart(6)} × ${terminalText(who, 40)}: ${terminalText(g.message, 160)}`);
      }
    }
    if (summary.threshold) lines.push('', `  threshold: pass rate ≥ ${summary.threshold.passRate}% ${summary.threshold.met ? 'met' : 'NOT met'}`);
  }
  lines.push('', `  ${runUrl}`, '');
  return lines.join('\n');
}
