// Comparisons on the command line: `assay compare RUN_ID [BASELINE]`, and the comparison that
// `assay run --baseline` prints after the summary. Text for the terminal, Markdown for CI
// (--markdown FILE, and appended to $GITHUB_STEP_SUMMARY so a GitHub job shows it).
import type { Command } from 'commander';
import type { AssayClient, Comparison, RunStatusBody } from '../client/index.js';
import { comparisonSchema } from '../core/model/compare.js';
import { runStatusSchema } from '../core/model/run-api.js';
import { expectAnswer } from './answers.js';
import { CliError } from './cli-error.js';
import { asCliError, connect } from './connection.js';
import { guardOutput } from './output.js';
import { cost, delta, figure, hasCost, mark, p } from './comparison-figures.js';
import { freeTargets } from './costs.js';
import { evaluatorColumn, evaluatorLabels, nameWidth, terminalColumns } from './labels.js';
import { markdownReport } from './markdown-report.js';
import { checkReportFiles, publishMarkdown, writeReport } from './report-files.js';

export { publishMarkdown } from './report-files.js';
export { markdownReport } from './markdown-report.js';

/**
 * Two runs that share no row (other datasets, other row selections) were not compared at all;
 * their verdict says "no significant change", which a gate must not read as a pass.
 */
export const nothingMatched = (c: Comparison): boolean => c.matched.rows === 0;

/** The characters of a comparison row besides its name and its cost: the figures and "significant". */
const COMPARISON_FIGURES = 58;

/** The comparison as text; `columns`, the terminal's width, which the name column widens to (none: a CI log's fixed layout). */
export function formatComparison(c: Comparison, columns = terminalColumns()): string {
  const head = nothingMatched(c) ? 'NOTHING TO COMPARE: no row of the run matches one of the baseline (their rows differ: another experiment, dataset or row selection)' : c.verdict.toUpperCase().replace(/_/g, ' ');
  const lines = ['', `Compared with ${c.baselineRunId}: ${head} (alpha ${c.alpha}, rows matched by ${c.matchedBy})`];
  lines.push(`  rows matched ${c.matched.rows}  unmatched: candidate ${c.unmatched.candidate}, baseline ${c.unmatched.baseline}  ` +
    `cells regressed ${c.rows.counts.regressed}  improved ${c.rows.counts.improved}`);
  if (c.evaluators.length > 0) {
    const costs = hasCost(c);
    const labels = evaluatorLabels(c.evaluators);
    const costWidth = costs ? 2 + Math.max(...c.evaluators.map((e) => cost(e, c).length)) : 0;
    const names = c.evaluators.map((e) => `${labels.get(e.evaluatorId) ?? e.name} × ${e.targetId}`);
    const width = nameWidth(names, COMPARISON_FIGURES + costWidth, columns, 28);
    lines.push('', `  ${'evaluator × target'.padEnd(width)}  baseline  candidate      delta   p (Holm)  significant${costs ? '  cost (baseline -> candidate)' : ''}`);
    for (const e of c.evaluators) {
      lines.push(
        `  ${evaluatorColumn(labels, e, width, ` × ${e.targetId}`)} ${figure(e, 'baseline').padStart(9)}  ${figure(e, 'candidate').padStart(9)}  ${delta(e).padStart(9)}  ` +
          `${p(e.test.pValueAdjusted).padStart(9)}  ${costs ? `${(mark(e) || 'no').padEnd(11)}  ${cost(e, c)}` : mark(e) || 'no'}`,
      );
    }
  }
  const regressed = c.rows.items.filter((i) => i.change === 'regressed').slice(0, 10);
  if (regressed.length > 0) lines.push('', `  regressed rows: ${regressed.map((i) => `${i.rowIndex} (${i.targetId}/${i.evaluatorId})`).join(', ')}${c.rows.counts.regressed > regressed.length ? ', …' : ''}`);
  lines.push('');
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
    if (opts.markdown || process.env.GITHUB_STEP_SUMMARY) await publishMarkdown(markdownReport(runId, run.status, run.summary, c, runUrl, await freeTargets(client, runId)), opts.markdown);
    if (opts.json) await writeReport(opts.json, `${JSON.stringify(c, null, 2)}\n`, 'JSON comparison');
    // A gate that could not judge: 2, as a run that could not run.
    if (opts.failOnRegression && nothingMatched(c)) {
      output.write('  --fail-on-regression: no row matched, so nothing was judged (exit 2)\n');
      return 2;
    }
    return opts.failOnRegression && c.verdict === 'regressed' ? 1 : 0;
  } catch (error) {
    const said = asCliError(error);
    if (said instanceof CliError) said.message = said.message.replace('assay compare RUN_ID', `assay compare ${runId}`);
    throw said;
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
