// Comparisons on the command line: `assay compare RUN_ID [BASELINE]`, and the comparison that
// `assay run --baseline` prints after the summary. Text for the terminal, Markdown for CI
// (--markdown FILE, and appended to $GITHUB_STEP_SUMMARY so a GitHub job shows it).
import type { Command } from 'commander';
import type { AssayClient, Comparison, RunStatusBody, RunSummary } from '../client/index.js';
import { comparisonSchema } from '../core/model/compare.js';
import { runStatusSchema } from '../core/model/run-api.js';
import { expectAnswer } from './answers.js';
import { CliError } from './cli-error.js';
import { asCliError, connect } from './connection.js';
import { guardOutput } from './output.js';
import { usd } from './estimate.js';
import { checkReportFiles, publishMarkdown, writeReport } from './report-files.js';
import { knownUsd } from './summary.js';
import { terminalText } from './terminal-text.js';

export { publishMarkdown } from './report-files.js';

const signed = (n: number | undefined, digits = 1) => (n === undefined ? '-' : `${n > 0 ? '+' : ''}${n.toFixed(digits)}`);
const p = (x: number) => (x < 0.0001 ? x.toExponential(1) : x.toFixed(4));
const figure = (e: Comparison['evaluators'][number], side: 'baseline' | 'candidate') =>
  e.test.on === 'passRate' ? `${e[side].passRate?.toFixed(1) ?? '-'}%` : (e[side].avgScore?.toFixed(3) ?? '-');
const delta = (e: Comparison['evaluators'][number]) => (e.test.on === 'passRate' ? `${signed(e.delta.passRate)} pts` : signed(e.delta.avgScore, 3));
const mark = (e: Comparison['evaluators'][number]) => {
  const moved = e.test.on === 'passRate' ? e.delta.passRate : e.delta.avgScore;
  return !e.test.significant ? '' : moved !== undefined && moved < 0 ? 'worse' : 'better';
};
/** True when some evaluator's results had a cost (a judge): only then is there a cost column. */
const hasCost = (c: Comparison) => c.evaluators.some((e) => e.baseline.cost !== undefined);
/** One side's cost: "unknown" when none of its calls had a price, "≥ $x" when some did not. */
const sideCost = (s: Comparison['evaluators'][number]['baseline']) => (!s.unpricedCalls ? usd(s.cost ?? 0) : s.cost ? `≥ ${usd(s.cost)}` : 'unknown');
const cost = (e: Comparison['evaluators'][number]) => (e.baseline.cost === undefined ? '-' : `${sideCost(e.baseline)} -> ${sideCost(e.candidate)}`);

export function formatComparison(c: Comparison): string {
  const lines = ['', `Compared with ${c.baselineRunId}: ${c.verdict.toUpperCase().replace(/_/g, ' ')} (alpha ${c.alpha}, rows matched by ${c.matchedBy})`];
  lines.push(`  rows matched ${c.matched.rows}  unmatched: candidate ${c.unmatched.candidate}, baseline ${c.unmatched.baseline}  ` +
    `cells regressed ${c.rows.counts.regressed}  improved ${c.rows.counts.improved}`);
  if (c.evaluators.length > 0) {
    const costs = hasCost(c);
    lines.push('', `  evaluator × target            baseline  candidate      delta   p (Holm)  significant${costs ? '  cost (baseline -> candidate)' : ''}`);
    for (const e of c.evaluators) {
      lines.push(
        `  ${`${e.name} × ${e.targetId}`.padEnd(28).slice(0, 28)} ${figure(e, 'baseline').padStart(9)}  ${figure(e, 'candidate').padStart(9)}  ${delta(e).padStart(9)}  ` +
          `${p(e.test.pValueAdjusted).padStart(9)}  ${costs ? `${(mark(e) || 'no').padEnd(11)}  ${cost(e)}` : mark(e) || 'no'}`,
      );
    }
  }
  const regressed = c.rows.items.filter((i) => i.change === 'regressed').slice(0, 10);
  if (regressed.length > 0) lines.push('', `  regressed rows: ${regressed.map((i) => `${i.rowIndex} (${i.targetId}/${i.evaluatorId})`).join(', ')}${c.rows.counts.regressed > regressed.length ? ', …' : ''}`);
  lines.push('');
  return lines.join('\n');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The summary (and the comparison, when there is one) as Markdown tables. */
export function markdownReport(runId: string, status: string, summary: RunSummary | undefined, comparison: Comparison | undefined, runUrl: string): string {
  const lines = [`### Assay run ${cell(runId)}: ${status}`, ''];
  if (summary) {
    lines.push('| cells | passed | failed | pass rate | cost | duration |', '|---:|---:|---:|---:|---:|---:|');
    lines.push(`| ${summary.totalCells} | ${summary.totalPassed} | ${summary.totalFailed} | ${summary.passRate.toFixed(1)}% | ${knownUsd(summary.totalCost, (summary.unpricedCalls ?? 0) + (summary.evaluatorUnpricedCalls ?? 0))} | ${(summary.duration / 1000).toFixed(1)} s |`, '');
    if (summary.topErrors?.length) {
      lines.push('| errors alike | where | first message |', '|---:|---|---|');
      for (const g of summary.topErrors) lines.push(`| ${g.count} | ${g.targetId !== undefined ? `target ${cell(g.targetId)}` : `evaluator ${cell(g.evaluatorId ?? '?')}`} | ${cell(terminalText(g.message, 160))} |`);
      lines.push('');
    }
  }
  if (comparison) {
    lines.push(`**Compared with ${cell(comparison.baselineRunId)}: ${comparison.verdict.replace(/_/g, ' ')}** — ${comparison.rows.counts.regressed} regressed, ${comparison.rows.counts.improved} improved, ${comparison.matched.rows} rows matched`, '');
    const costs = hasCost(comparison);
    lines.push(`| evaluator | target | baseline | candidate | delta | p (Holm) |${costs ? ' cost |' : ''} |`, `|---|---|---:|---:|---:|---:|${costs ? '---:|' : ''}---|`);
    for (const e of comparison.evaluators) {
      const m = mark(e);
      lines.push(`| ${cell(e.name)} | ${cell(e.targetId)} | ${figure(e, 'baseline')} | ${figure(e, 'candidate')} | ${delta(e)} | ${p(e.test.pValueAdjusted)} |${costs ? ` ${cost(e)} |` : ''} ${m === 'worse' ? '🔴 worse' : m === 'better' ? '🟢 better' : ''} |`);
    }
    lines.push('');
  }
  lines.push(`[Open the run](${runUrl})`, '');
  return lines.join('\n');
}

/**
 * Refuses a run that has not ended: its cells so far would be compared (0 rows matched while it
 * is queued), and a gate that then says "no significant change" passes without judging anything.
 * Completed, failed and stopped runs have ended and compare on what they committed.
 */
export function ensureFinished(run: Pick<RunStatusBody, 'runId' | 'status' | 'progress' | 'total'>, role: 'candidate' | 'baseline'): void {
  if (run.status === 'running') {
    throw new CliError(`The ${role} run ${run.runId} is still running (${run.progress}/${run.total} cells): compare it once it has finished`);
  }
}

export interface CompareOptions {
  endpoint?: string;
  apiKey?: string;
  alpha?: string;
  failOnRegression?: boolean;
  markdown?: string;
  json?: string;
}

export function parseAlpha(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const alpha = Number(raw);
  if (!(alpha > 0 && alpha < 1)) throw new CliError('--alpha takes a significance level between 0 and 1, e.g. 0.05');
  return alpha;
}

/** GET /runs/{runId}, checked to be what an Assay server answers. */
export async function fetchRun(client: AssayClient, runId: string): Promise<RunStatusBody> {
  return expectAnswer(runStatusSchema, await client.getRun(runId), client.endpoint, `GET /api/experiments/runs/${encodeURIComponent(runId)}`);
}

/** GET /runs/{runId}/compare, checked to be what an Assay server answers (`{}` from another API failed later on a TypeError). */
export async function fetchComparison(client: AssayClient, runId: string, query: Parameters<AssayClient['compare']>[1]): Promise<Comparison> {
  return expectAnswer(comparisonSchema, await client.compare(runId, query), client.endpoint, `GET /api/experiments/runs/${encodeURIComponent(runId)}/compare`);
}

export async function compareCommand(runId: string, baseline: string | undefined, opts: CompareOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const alpha = parseAlpha(opts.alpha);
  const client = connect(opts);
  await checkReportFiles([['--markdown', opts.markdown, 'Markdown report'], ['--json', opts.json, 'JSON comparison']]);
  // A reader that left (`| head`, `| true`) must change neither the exit code nor print a stack.
  const output = guardOutput(out);
  try {
    const run = await fetchRun(client, runId);
    ensureFinished(run, 'candidate');
    const c = await fetchComparison(client, runId, { ...(baseline ? { baseline } : {}), ...(alpha !== undefined ? { alpha } : {}), change: 'regressed', limit: 100 });
    ensureFinished(await fetchRun(client, c.baselineRunId), 'baseline');
    output.write(formatComparison(c));
    const runUrl = run.summary?.runUrl ?? '';
    if (opts.markdown || process.env.GITHUB_STEP_SUMMARY) await publishMarkdown(markdownReport(runId, run.status, run.summary, c, runUrl), opts.markdown);
    if (opts.json) await writeReport(opts.json, `${JSON.stringify(c, null, 2)}\n`, 'JSON comparison');
    return opts.failOnRegression && c.verdict === 'regressed' ? 1 : 0;
  } catch (error) {
    throw asCliError(error);
  }
}

export function registerCompareCommand(program: Command): void {
  program
    .command('compare')
    .argument('<runId>', 'the run to judge (the candidate)')
    .argument('[baseline]', 'the run to compare with, or "previous" (default: its baselineRunId, else the previous finished run)')
    .option('--endpoint <url>', 'Assay server (default $ASSAY_ENDPOINT, $LANGWATCH_ENDPOINT or http://localhost:5560)')
    .option('--api-key <key>', 'project API key (default $ASSAY_API_KEY or $LANGWATCH_API_KEY)')
    .option('--alpha <level>', 'significance level (default 0.05)')
    .option('--fail-on-regression', 'exit 1 when the verdict is "regressed"')
    .option('--markdown <file>', 'write the comparison as Markdown (also appended to $GITHUB_STEP_SUMMARY when set)')
    .option('--json <file>', 'write the comparison as JSON')
    .description('Compare a run with a baseline: per evaluator × target deltas with paired significance tests')
    .action(async (runId: string, baseline: string | undefined, opts: CompareOptions) => {
      process.exitCode = await compareCommand(runId, baseline, opts);
    });
}
