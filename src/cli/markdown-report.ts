// The Markdown report of `assay run --markdown` / `assay compare --markdown` (also appended to
// $GITHUB_STEP_SUMMARY): the tables the terminal shows — totals, per target, per evaluator,
// the commonest errors — and the comparison with the baseline when there is one.
import type { Comparison, RunSummary } from '../client/index.js';
import { cost, delta, figure, hasCost, mark, p } from './comparison-figures.js';
import { costNote, evaluatorUsd, type FreeTargets, runUsd, targetUsd } from './costs.js';
import { evaluatorLabels } from './labels.js';
import { durationSinceStart, passRateText, type ReportNotes, runningNote, skipWarnings } from './summary.js';
import { terminalText } from './terminal-text.js';
import { counted } from './plural.js';

/** Text for a table cell: one line, its pipes escaped. */
const cell = (s: string) => terminalText(s, 200).replace(/\|/g, '\\|');
const pct = (n: number) => `${n.toFixed(1)}%`;

function summaryTables(summary: RunSummary, free: FreeTargets): string[] {
  const lines = [`| cells | passed | failed | pass rate | cost | duration${durationSinceStart(summary) ? ' since start' : ''} |`, '|---:|---:|---:|---:|---:|---:|'];
  lines.push(`| ${summary.totalCells} | ${summary.totalPassed} | ${summary.totalFailed} | ${passRateText(summary)} | ${runUsd(summary, free)} | ${(summary.duration / 1000).toFixed(1)} s${runningNote(summary)} |`, '');
  if (summary.targets.length > 0) {
    lines.push('| target | passed | failed | errors | avg latency | cost |', '|---|---:|---:|---:|---:|---:|');
    for (const t of summary.targets) {
      lines.push(`| ${cell(t.name)} | ${t.passed} | ${t.failed} | ${t.errors} | ${t.avgLatency === undefined ? '-' : `${t.avgLatency} ms`} | ${targetUsd(t, free)} |`);
    }
    lines.push('');
  }
  const note = costNote(summary, free);
  if (note) lines.push(`${note[0]!.toUpperCase()}${note.slice(1)}.`, '');
  if (summary.evaluators.length > 0) {
    const labels = evaluatorLabels(summary.evaluators);
    lines.push('| evaluator | passed | failed | errors | skipped | pass rate | avg score | cost |', '|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const e of summary.evaluators) {
      const rate = e.passed + e.failed + e.errors > 0 ? pct(e.passRate) : '-';
      lines.push(`| ${cell(labels.get(e.evaluatorId)!)} | ${e.passed} | ${e.failed} | ${e.errors} | ${e.skipped} | ${rate} | ${e.avgScore === undefined ? '-' : e.avgScore.toFixed(3)} | ${evaluatorUsd(e)} |`);
    }
    lines.push('');
  }
  if (summary.topErrors?.length) {
    lines.push('| errors alike | where | first message |', '|---:|---|---|');
    for (const g of summary.topErrors) lines.push(`| ${g.count} | ${g.targetId !== undefined ? `target ${cell(g.targetId)}` : `evaluator ${cell(g.evaluatorId ?? '?')}`} | ${cell(terminalText(g.message, 160))} |`);
    lines.push('');
  }
  return lines;
}

function comparisonTable(comparison: Comparison): string[] {
  const verdict = comparison.matched.rows === 0 ? 'nothing to compare (no row matched)' : comparison.verdict.replace(/_/g, ' ');
  const lines = [`**Compared with ${cell(comparison.baselineRunId)}: ${verdict}** — ${comparison.rows.counts.regressed} regressed, ${comparison.rows.counts.improved} improved, ${counted(comparison.matched.rows, 'row')} matched`, ''];
  const costs = hasCost(comparison);
  const labels = evaluatorLabels(comparison.evaluators);
  lines.push(`| evaluator | target | baseline | candidate | delta | p (Holm) |${costs ? ' cost |' : ''} |`, `|---|---|---:|---:|---:|---:|${costs ? '---:|' : ''}---|`);
  for (const e of comparison.evaluators) {
    const m = mark(e);
    lines.push(`| ${cell(labels.get(e.evaluatorId)!)} | ${cell(e.targetId)} | ${figure(e, 'baseline')} | ${figure(e, 'candidate')} | ${delta(e)} | ${p(e.test.pValueAdjusted)} |${costs ? ` ${cost(e, comparison)} |` : ''} ${m === 'worse' ? '🔴 worse' : m === 'better' ? '🟢 better' : ''} |`);
  }
  lines.push('');
  return lines;
}

/**
 * The summary (and the comparison, when there is one) as Markdown tables; `free` names the run's
 * code targets, when known; `notes`, the gate that decided `assay run`'s exit code and its warnings.
 */
export function markdownReport(runId: string, status: string, summary: RunSummary | undefined, comparison: Comparison | undefined, runUrl: string, free?: FreeTargets, notes?: ReportNotes): string {
  const lines = [`### Assay run ${cell(runId)}: ${status}`, ''];
  if (summary) {
    lines.push(...summaryTables(summary, free));
    for (const w of notes?.warnings ?? skipWarnings(summary)) lines.push(`> ⚠️ **${cell(w)}**`, '');
    if (notes?.gate.length) lines.push(`**${cell(notes.gate[0]!)}**${notes.gate.slice(1).map((g) => ` ${cell(g)}`).join('')}`, '');
  }
  if (comparison) lines.push(...comparisonTable(comparison));
  lines.push(`[Open the run](${runUrl})`, '');
  return lines.join('\n');
}
