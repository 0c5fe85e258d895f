// The end-of-run summary printed by `assay run` and `assay demo`.
import type { RunSummary } from '../client/index.js';
import { judgedPassRate, nothingJudged, skippedAll } from '../core/model/summary-judged.js';
import { materialRunningTime } from '../core/model/summary-running.js';
import { costNote, evaluatorUsd, type FreeTargets, runUsd, targetUsd } from './costs.js';
import { column, evaluatorColumn, evaluatorLabels, nameWidth, terminalColumns } from './labels.js';
import { terminalText } from './terminal-text.js';
import { counted } from './plural.js';

const pct = (n: number) => `${n.toFixed(1)}%`;
/** Why a run stopped, in words (summary.stopReason). */
const STOP_REASONS: Record<string, string> = {
  user: 'stopped by a user', budget: 'its cost budget was reached', errors: 'its error limit (maxErrors) was reached', shutdown: 'the server shut down',
};

/**
 * True when the run has evaluators and every one skipped every cell: each cell "passed" for want
 * of a check, so the pass rate reads 100% and no gate may pass on it. The server's figures stay
 * LangWatch's (docs/decisions.md); only the CLI's verdict refuses them.
 */
export const nothingChecked = (summary: RunSummary): boolean => summary.evaluators.length > 0 && nothingJudged(summary);

/**
 * True when the run has no evaluator at all: its cells "pass" when the target answered, so its
 * pass rate is no judgement. Such a run (outputs collected for reading or review) is judged by
 * "no failed cell"; a pass-rate gate (--fail-under, a threshold) is NOT met (docs/decisions.md).
 */
export const noEvaluators = (summary: RunSummary): boolean => summary.evaluators.length === 0;

/** Why there is no pass rate to gate on: said for a run with no evaluators and a pass-rate gate. */
export const NO_PASS_RATE = 'the run has no evaluators — nothing was judged, so it has no pass rate to hold to';

/** The run's pass rate as printed: "—" and why when no evaluator judged a cell (the server's figure stays LangWatch's). */
export function passRateText(summary: RunSummary): string {
  const rate = judgedPassRate(summary);
  if (rate !== undefined) return pct(rate);
  return noEvaluators(summary) ? '— (no evaluators)' : '— (nothing judged)';
}

/**
 * The running time said beside the duration ("(2.0 s running)"), when it tells something: the run
 * stood stopped between executions for more than 1 s and 10% of its duration. Empty otherwise,
 * and for summaries stored before servers kept `runningTime`.
 */
export function runningNote(summary: RunSummary): string {
  const running = materialRunningTime(summary);
  return running === undefined ? '' : ` (${(running / 1000).toFixed(1)} s running)`;
}

/**
 * Whether the duration counts time the run stood stopped before a resume, so "since start" says
 * what it counts: its runningTime falls short of it, or is unknown (a server before the field).
 * A run never resumed ran all its duration (runningTime equals it): its duration is said alone.
 */
export const durationSinceStart = (summary: Pick<RunSummary, 'duration' | 'runningTime'>): boolean =>
  summary.runningTime === undefined || summary.runningTime < summary.duration;

/** The line said when nothing was checked. */
export const NO_VERDICT = "no verdict: every evaluator skipped every cell — nothing was checked (see each evaluator's skip reason in the results)";

/**
 * One warning per evaluator that skipped all its cells while others gave verdicts, with a skip
 * reason when one is known (`reasons`, by evaluator id); none when nothing was checked at all.
 */
export function skipWarnings(summary: RunSummary, reasons: ReadonlyMap<string, string> = new Map()): string[] {
  if (nothingChecked(summary)) return [];
  const labels = evaluatorLabels(summary.evaluators);
  return summary.evaluators.filter(skippedAll).map((e) => {
    const reason = reasons.get(e.evaluatorId);
    return `warning: ${terminalText(labels.get(e.evaluatorId)!, 80)} skipped all ${counted(e.skipped, 'cell')}${reason ? ` (${terminalText(reason, 200)})` : ''}: it checked nothing`;
  });
}

/**
 * The lines that say what decided the exit code, and how: --fail-under, else the experiment's
 * threshold, else "no failed cell" (src/cli/run-report.ts `verdict`). The threshold that does not
 * decide is shown as information; `gated`: the comparison with the baseline decides.
 */
export function gateLines(status: string, summary: RunSummary, failUnder: number | undefined, gated: boolean): string[] {
  const rate = pct(summary.passRate);
  const threshold = summary.threshold;
  if (status !== 'completed') return [`gate: NOT met (the run ${status === 'stopped' ? 'was stopped before its end' : 'did not complete'})`];
  if (summary.totalCells === 0) return ['gate: NOT met (no cell was run)'];
  if (nothingChecked(summary)) return [`gate: NOT met — ${NO_VERDICT}`];
  if (noEvaluators(summary) && failUnder !== undefined) return [`gate: NOT met — ${NO_PASS_RATE} --fail-under ${failUnder}%`];
  if (noEvaluators(summary) && threshold) return [`gate: NOT met — ${NO_PASS_RATE} the experiment's threshold (pass rate ≥ ${threshold.passRate}%)`];
  if (failUnder !== undefined) {
    const met = summary.passRate >= failUnder;
    const lines = [`gate: pass rate ${rate} ${met ? '≥' : '<'} ${failUnder}% (--fail-under) ${met ? 'met' : 'NOT met'}`];
    if (threshold) lines.push(`(the experiment's threshold, pass rate ≥ ${threshold.passRate}%, is ${threshold.met ? 'met' : 'not met'}; --fail-under decides)`);
    return lines;
  }
  if (threshold) return [`gate: pass rate ${rate} ${threshold.met ? '≥' : '<'} ${threshold.passRate}% (the experiment's threshold) ${threshold.met ? 'met' : 'NOT met'}`];
  if (gated) return ['gate: the comparison with the baseline (--fail-on-regression, --max-drop) decides'];
  // With no evaluators a cell fails only when its target call failed.
  const how = noEvaluators(summary) ? 'no evaluators: a cell fails when its target call failed' : 'no --fail-under, no threshold in the experiment';
  return [summary.totalFailed > 0 ? `gate: ${summary.totalFailed} failed cell${summary.totalFailed === 1 ? '' : 's'} (${how}) NOT met` : `gate: no failed cell (${how}) met`];
}

/** What `assay run` adds under the tables: the gate that decides the exit code, and warnings. */
export interface ReportNotes {
  gate: string[];
  warnings: string[];
}

/** The characters of a targets-table row besides the name, and of an evaluators-table row. */
const TARGET_FIGURES = 49;
const EVALUATOR_FIGURES = 66;

/**
 * The summary as text; `free` names the run's code targets (their calls cost nothing), when
 * known; `notes`, the gate and warnings (without them, the experiment's threshold is shown);
 * `columns`, the terminal's width, which the name columns widen to (none: a CI log's fixed layout).
 */
export function formatSummary(status: string, summary: RunSummary | undefined, runUrl: string, free?: FreeTargets, notes?: ReportNotes, columns = terminalColumns()): string {
  const lines: string[] = [];
  const why = summary?.stopReason ? ` (${STOP_REASONS[summary.stopReason] ?? summary.stopReason})` : '';
  lines.push('', `Run ${summary?.runId ?? ''} ${status.toUpperCase()}${why}`);
  if (summary) {
    // The summary's duration runs from the run's start to its end (SPEC §5), pauses between a stop
    // and a resume included: said so for a resumed run, with the time it ran when the pauses were material.
    lines.push(
      `  cells ${summary.totalCells}  passed ${summary.totalPassed}  failed ${summary.totalFailed}  pass rate ${passRateText(summary)}  ` +
        `duration ${(summary.duration / 1000).toFixed(1)} s${durationSinceStart(summary) ? ' since start' : ''}${runningNote(summary)}  cost ${runUsd(summary, free)}`,
    );
    if (summary.targets.length > 0) {
      const width = nameWidth(summary.targets.map((t) => t.name), TARGET_FIGURES, columns);
      lines.push('', `  ${'target'.padEnd(width)} passed  failed  errors  avg latency       cost`);
      for (const t of summary.targets) {
        lines.push(
          `  ${column(t.name, width)} ${String(t.passed).padStart(6)}  ${String(t.failed).padStart(6)}  ${String(t.errors).padStart(6)}  ` +
            `${(t.avgLatency === undefined ? '-' : `${t.avgLatency} ms`).padStart(11)}  ${targetUsd(t, free).padStart(9)}`,
        );
      }
    }
    const note = costNote(summary, free);
    if (note) lines.push('', `  ${note}`);
    if (summary.evaluators.length > 0) {
      const labels = evaluatorLabels(summary.evaluators);
      const width = nameWidth(summary.evaluators.map((e) => labels.get(e.evaluatorId) ?? e.name), EVALUATOR_FIGURES, columns);
      lines.push('', `  ${'evaluator'.padEnd(width)} passed  failed  errors skipped  pass rate  avg score       cost`);
      // An evaluator that gave no verdict (scores only, or every result skipped) has no pass rate to
      // show: the API's figure is a number for LangWatch's clients (docs/decisions.md).
      for (const e of summary.evaluators) {
        lines.push(
          `  ${evaluatorColumn(labels, e, width)} ${String(e.passed).padStart(6)}  ${String(e.failed).padStart(6)}  ${String(e.errors).padStart(6)} ${String(e.skipped).padStart(7)}  ` +
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
    const warnings = notes?.warnings ?? skipWarnings(summary);
    if (warnings.length > 0) lines.push('', ...warnings.map((w) => `  ${w}`));
    if (notes) lines.push('', ...notes.gate.map((g) => `  ${g}`));
    else if (summary.threshold) lines.push('', `  threshold: pass rate ≥ ${summary.threshold.passRate}% ${summary.threshold.met ? 'met' : 'NOT met'}`);
  }
  lines.push('', `  ${runUrl}`, '');
  return lines.join('\n');
}
