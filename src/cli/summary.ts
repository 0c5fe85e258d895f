// The end-of-run summary printed by `assay run` and `assay demo`.
import type { RunSummary } from '../client/index.js';

const pct = (n: number) => `${n.toFixed(1)}%`;
const usd = (n: number) => `$${n.toFixed(4)}`;

export function formatSummary(status: string, summary: RunSummary | undefined, runUrl: string): string {
  const lines: string[] = [];
  lines.push('', `Run ${summary?.runId ?? ''} ${status.toUpperCase()}`);
  if (summary) {
    lines.push(
      `  cells ${summary.totalCells}  passed ${summary.totalPassed}  failed ${summary.totalFailed}  pass rate ${pct(summary.passRate)}  ` +
        `duration ${(summary.duration / 1000).toFixed(1)} s  cost ${usd(summary.totalCost)}`,
    );
    if (summary.targets.length > 0) {
      lines.push('', '  target                 passed  failed  errors  avg latency      cost');
      for (const t of summary.targets) {
        lines.push(
          `  ${t.name.padEnd(22).slice(0, 22)} ${String(t.passed).padStart(6)}  ${String(t.failed).padStart(6)}  ${String(t.errors).padStart(6)}  ` +
            `${(t.avgLatency === undefined ? '-' : `${t.avgLatency} ms`).padStart(11)}  ${usd(t.totalCost).padStart(8)}`,
        );
      }
    }
    if (summary.evaluators.length > 0) {
      lines.push('', '  evaluator              passed  failed  errors skipped  pass rate  avg score');
      for (const e of summary.evaluators) {
        lines.push(
          `  ${e.name.padEnd(22).slice(0, 22)} ${String(e.passed).padStart(6)}  ${String(e.failed).padStart(6)}  ${String(e.errors).padStart(6)} ${String(e.skipped).padStart(7)}  ` +
            `${pct(e.passRate).padStart(9)}  ${(e.avgScore === undefined ? '-' : e.avgScore.toFixed(3)).padStart(9)}`,
        );
      }
    }
    if (summary.threshold) lines.push('', `  threshold: pass rate ≥ ${summary.threshold.passRate}% ${summary.threshold.met ? 'met' : 'NOT met'}`);
  }
  lines.push('', `  ${runUrl}`, '');
  return lines.join('\n');
}
