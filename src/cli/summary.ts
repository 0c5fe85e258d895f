// The end-of-run summary printed by `assay run` and `assay demo`.
import type { RunSummary } from '../client/index.js';
import { costNote, evaluatorUsd, type FreeTargets, runUsd, targetUsd } from './costs.js';
import { column, evaluatorLabels } from './labels.js';
import { terminalText } from './terminal-text.js';

const pct = (n: number) => `${n.toFixed(1)}%`;
/** Why a run stopped, in words (summary.stopReason). */
const STOP_REASONS: Record<string, string> = {
  user: 'stopped by a user', budget: 'its cost budget was reached', errors: 'its error limit (maxErrors) was reached', shutdown: 'the server shut down',
};

/** The summary as text; `free` names the run's code targets (their calls cost nothing), when known. */
export function formatSummary(status: string, summary: RunSummary | undefined, runUrl: string, free?: FreeTargets): string {
  const lines: string[] = [];
  const why = summary?.stopReason ? ` (${STOP_REASONS[summary.stopReason] ?? summary.stopReason})` : '';
  lines.push('', `Run ${summary?.runId ?? ''} ${status.toUpperCase()}${why}`);
  if (summary) {
    lines.push(
      `  cells ${summary.totalCells}  passed ${summary.totalPassed}  failed ${summary.totalFailed}  pass rate ${pct(summary.passRate)}  ` +
        `duration ${(summary.duration / 1000).toFixed(1)} s  cost ${runUsd(summary, free)}`,
    );
    if (summary.targets.length > 0) {
      lines.push('', '  target                 passed  failed  errors  avg latency       cost');
      for (const t of summary.targets) {
        lines.push(
          `  ${column(t.name, 22)} ${String(t.passed).padStart(6)}  ${String(t.failed).padStart(6)}  ${String(t.errors).padStart(6)}  ` +
            `${(t.avgLatency === undefined ? '-' : `${t.avgLatency} ms`).padStart(11)}  ${targetUsd(t, free).padStart(9)}`,
        );
      }
    }
    const note = costNote(summary, free);
    if (note) lines.push('', `  ${note}`);
    if (summary.evaluators.length > 0) {
      const labels = evaluatorLabels(summary.evaluators);
      lines.push('', '  evaluator              passed  failed  errors skipped  pass rate  avg score       cost');
      // An evaluator that gave no verdict (scores only, or every result skipped) has no pass rate to
      // show: the API's figure is a number for LangWatch's clients (docs/decisions.md).
      for (const e of summary.evaluators) {
        lines.push(
          `  ${column(labels.get(e.evaluatorId)!, 22)} ${String(e.passed).padStart(6)}  ${String(e.failed).padStart(6)}  ${String(e.errors).padStart(6)} ${String(e.skipped).padStart(7)}  ` +
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
