// Names in `assay run`'s tables and `assay compare`'s, as a new user met them: a long target
// name cut with "…" (not "gpt-4o-mini, short ans"), columns still aligned, and two unnamed
// evaluators of one type told apart by their ids as the run page does.
import { describe, expect, it } from 'vitest';
import type { Comparison, RunSummary } from '../client/index.js';
import { formatComparison, markdownReport } from './compare.js';
import { evaluatorLabels, terminalColumns } from './labels.js';
import { formatSummary } from './summary.js';

type Evaluator = RunSummary['evaluators'][number];
const evaluator = (id: string, name: string): Evaluator => ({ evaluatorId: id, name, passed: 2, failed: 1, errors: 0, skipped: 0, passRate: 66.7, totalCost: 0 });
const summary: RunSummary = {
  runId: 'run_1', totalCells: 3, completedCells: 3, failedCells: 0, duration: 1_000, timestamps: { startedAt: 0, finishedAt: 1_000 }, runUrl: 'http://x/run_1',
  totalPassed: 2, totalFailed: 1, passRate: 66.7, totalCost: 0.001, targetCost: 0.001, evaluatorCost: 0,
  targets: [
    { targetId: 'mini', name: 'gpt-4o-mini, short answers', passed: 2, failed: 1, errors: 0, avgLatency: 812, totalCost: 0.001, tokens: { input: 1, output: 1 } },
    { targetId: 'kw', name: 'Keyword baseline (code)', passed: 2, failed: 1, errors: 0, avgLatency: 3, totalCost: 0.000_5, tokens: { input: 1, output: 1 } },
  ],
  evaluators: [evaluator('length', 'Custom Code'), evaluator('tone', 'Custom Code'), evaluator('exact', 'Exact Match')],
};

describe('names in the run summary', () => {
  const text = formatSummary('completed', summary, 'http://x/run_1');
  const lines = text.split('\n');

  it('cuts a long target name with "…" and keeps the columns aligned', () => {
    const header = lines.find((l) => l.startsWith('  target '))!;
    const mini = lines.find((l) => l.includes('gpt-4o-mini'))!;
    const kw = lines.find((l) => l.includes('Keyword'))!;
    expect(mini).toContain('gpt-4o-mini, short an… ');
    expect(kw).toContain('Keyword baseline (cod… ');
    expect(text).not.toMatch(/short ans\s/);
    // Each figure ends under its header, the cost column included.
    for (const row of [mini, kw]) {
      expect(row.length).toBe(header.length);
      expect(row.indexOf('     2 ')).toBe(header.indexOf('passed'));
    }
  });

  it('tells two evaluators of one name apart by their ids, and leaves a unique name alone', () => {
    expect(text).toMatch(/\n {2}Custom Code \(length\) +2 +1/);
    expect(text).toMatch(/\n {2}Custom Code \(tone\) +2 +1/);
    expect(text).toMatch(/\n {2}Exact Match +2 +1/);
    expect(evaluatorLabels([{ evaluatorId: 'a', name: 'a' }, { evaluatorId: 'b', name: 'a' }]).get('a')).toBe('a');
  });
});

describe('names on a terminal of known width', () => {
  const long: RunSummary = {
    ...summary,
    evaluators: [...summary.evaluators, evaluator('judge', 'gpt-4o-mini, short answers judged by a rubric')],
  };
  const table = (text: string, head: string) => {
    const lines = text.split('\n');
    const start = lines.findIndex((l) => l.startsWith(`  ${head} `));
    return lines.slice(start, lines.indexOf('', start));
  };

  it('widens the name columns to the longest name on a wide terminal, rows aligned under their headers', () => {
    const text = formatSummary('completed', long, 'http://x/run_1', undefined, undefined, 200);
    const targets = table(text, 'target');
    expect(targets.find((l) => l.includes('gpt-4o-mini'))).toMatch(/^ {2}gpt-4o-mini, short answers +2 /);
    expect(targets.find((l) => l.includes('Keyword'))).toMatch(/^ {2}Keyword baseline \(code\) +2 /);
    const evaluators = table(text, 'evaluator');
    expect(evaluators.find((l) => l.includes('rubric'))).toMatch(/^ {2}gpt-4o-mini, short answers judged by a rubric +2 /);
    expect(text).not.toContain('…');
    for (const rows of [targets, evaluators]) {
      for (const row of rows.slice(1)) {
        expect(row.length).toBe(rows[0]!.length);
        expect(row.indexOf('     2 ')).toBe(rows[0]!.indexOf('passed'));
      }
    }
  });

  it('cuts names to what a narrow terminal leaves, so no row wraps; without a terminal keeps the fixed layout', () => {
    const narrow = formatSummary('completed', long, 'http://x/run_1', undefined, undefined, 100);
    const evaluators = table(narrow, 'evaluator');
    for (const row of [...evaluators, ...table(narrow, 'target')]) expect(row.length).toBeLessThan(100);
    expect(evaluators.find((l) => l.includes('gpt-4o'))).toMatch(/^ {2}gpt-4o-mini, short answers judge… +2 /);
    // A pipe or a CI log: the fixed 22 characters, as before.
    const piped = formatSummary('completed', long, 'http://x/run_1', undefined, undefined, undefined);
    expect(piped).toContain('  gpt-4o-mini, short an…      2 ');
    expect(piped).toContain('  Keyword baseline (cod…      2 ');
  });

  it('reads the width from standard output only when it is a terminal', () => {
    expect(terminalColumns({ isTTY: true, columns: 180 })).toBe(180);
    expect(terminalColumns({ isTTY: false, columns: 180 })).toBeUndefined();
    expect(terminalColumns({})).toBeUndefined();
  });

  it('widens the comparison table too', () => {
    const test = { name: 'mcnemar_exact' as const, on: 'passRate' as const, pValue: 1, pValueAdjusted: 1, significant: false, ci95: null };
    const c: Comparison = {
      runId: 'run_2', baselineRunId: 'run_1', alpha: 0.05, verdict: 'no_significant_change', matchedBy: 'index',
      matched: { rows: 3, cells: 3 }, unmatched: { candidate: 0, baseline: 0 },
      evaluators: [{ evaluatorId: 'judge', name: 'gpt-4o-mini, short answers judge', targetId: 'mini', baseline: { n: 3, passRate: 66.7 }, candidate: { n: 3, passRate: 66.7 }, delta: { passRate: 0 }, test }],
      targets: [], rows: { counts: { regressed: 0, improved: 0, unchanged: 3 }, items: [], pagination: { offset: 0, limit: 100, total: 0 } },
    };
    const wide = formatComparison(c, 160).split('\n');
    const header = wide.find((l) => l.startsWith('  evaluator × target'))!;
    const row = wide.find((l) => l.includes('judge'))!;
    expect(row).toMatch(/^ {2}gpt-4o-mini, short answers judge × mini +66\.7%/);
    expect(row.indexOf('66.7%') + 5).toBe(header.indexOf('baseline') + 8);
    expect(formatComparison(c, undefined)).toContain('  gpt-4o-mini, short a… × mini ');
  });
});

describe('names in a comparison', () => {
  const test = { name: 'mcnemar_exact' as const, on: 'passRate' as const, pValue: 1, pValueAdjusted: 1, significant: false, ci95: null };
  const entry = (evaluatorId: string, name: string) => ({ evaluatorId, name, targetId: 'mini', baseline: { n: 3, passRate: 66.7 }, candidate: { n: 3, passRate: 66.7 }, delta: { passRate: 0 }, test });
  const comparison: Comparison = {
    runId: 'run_2', baselineRunId: 'run_1', alpha: 0.05, verdict: 'no_significant_change', matchedBy: 'index',
    matched: { rows: 3, cells: 3 }, unmatched: { candidate: 0, baseline: 0 },
    evaluators: [entry('length', 'Custom Code'), entry('tone', 'Custom Code')], targets: [],
    rows: { counts: { regressed: 0, improved: 0, unchanged: 3 }, items: [], pagination: { offset: 0, limit: 100, total: 0 } },
  };

  it('tells them apart in `assay compare` and in the Markdown table', () => {
    const text = formatComparison(comparison);
    expect(text).toContain('  Custom Code (length) × mini ');
    expect(text).toContain('  Custom Code (tone) × mini ');
    const md = markdownReport('run_2', 'completed', summary, comparison, 'http://x/run_2');
    expect(md).toContain('| Custom Code (length) | mini | 66.7% |');
    expect(md).toContain('| Custom Code (tone) | mini | 66.7% |');
  });
});
