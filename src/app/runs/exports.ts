// A run's results as JSON Lines, CSV or JUnit XML, produced page by page so a 100,000-cell run
// is never held in memory. Shared by the HTTP export route and anything else that writes a
// report (the CLI fetches it over HTTP). Row-scoped results (N-way comparisons) appear with the
// cell they are reported under (the row's first compared target), as in the results page.
//
// CSV fields that hold text from users or models are neutralised against formula injection as
// OWASP recommends: a field starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
// leading `'`, so a spreadsheet shows it as text instead of running it (a prompt injection can
// make a model answer `=HYPERLINK(…)`). Numbers Assay writes itself stay numbers.
import type { CellResult, RowResult, RunRecord } from '../../core/model/run.js';
import { cellPassed } from '../../core/engine/aggregate.js';
import { datasetEntry, evaluationEntries, rowEvaluationEntry } from './present.js';
import { type CellReviews, publicReview } from './reviews.js';

export const EXPORT_FORMATS = ['jsonl', 'csv', 'junit'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
  junit: 'application/xml; charset=utf-8',
};

/** One page of committed cells with the row-scoped results of their rows. */
export interface ExportPage {
  cells: CellResult[];
  rows: RowResult[];
}

/** The run's pages in row order; called once per pass (JUnit reads them twice). */
export type ExportPages = () => AsyncIterable<ExportPage>;

/** The row-scoped results reported under `cell` (its row, repeat and the comparison's first target). */
function rowsOf(cell: CellResult, rows: RowResult[]): RowResult[] {
  return rows.filter((r) => r.rowIndex === cell.rowIndex && r.repeat === cell.repeat && r.targetId === cell.targetId);
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** A text field made safe to open in a spreadsheet (OWASP CSV injection). */
export function csvText(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

const asText = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

// Control characters other than tab, newline and carriage return are not allowed in XML 1.0.
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
export const xml = (s: string): string =>
  s.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!).replace(XML_INVALID, '');

/**
 * People's reviews of a page's cells by cell number (docs/reviews.md), read with each page: a
 * run's reviews are never held whole. They sit beside the evaluator results, never in place of them.
 */
export type ExportReviews = (cells: CellResult[]) => Promise<ReadonlyMap<number, CellReviews>>;

const NO_REVIEWS: ExportReviews = async () => new Map();

/** The export of `run` in `format`, as chunks of text. */
export function exportRun(run: RunRecord, format: ExportFormat, pages: ExportPages, reviews: ExportReviews = NO_REVIEWS): AsyncGenerator<string> {
  switch (format) {
    case 'jsonl':
      return jsonLines(pages, reviews);
    case 'csv':
      return csv(run, pages, reviews);
    case 'junit':
      return junit(run, pages, reviews);
  }
}

/** A cell's reviews as the API lists them: the cell's own first, then per evaluator. */
function reviewList(r: CellReviews | undefined) {
  if (!r) return [];
  return [...(r.cell ? [r.cell] : []), ...r.evaluators.values()].map(publicReview);
}

async function* jsonLines(pages: ExportPages, reviews: ExportReviews): AsyncGenerator<string> {
  for await (const { cells, rows } of pages()) {
    if (cells.length === 0) continue;
    const reviewsOf = await reviews(cells);
    yield cells
      .map((cell) => {
        const reviewed = reviewList(reviewsOf.get(cell.cell));
        // `reviews` only on reviewed cells: unreviewed lines stay as they were.
        return JSON.stringify({ ...datasetEntry(cell), evaluations: [...evaluationEntries(cell), ...rowsOf(cell, rows).map(rowEvaluationEntry)], ...(reviewed.length > 0 ? { reviews: reviewed } : {}) });
      })
      .join('\n') + '\n';
  }
}

/**
 * csv-stringify writes `true` as `1` and `false` as an empty cell, which reads as "no value" in
 * a `passed` or `cached` column; the compare export and the JSON exports say true and false.
 */
const CSV_OPTIONS = { cast: { boolean: (value: boolean) => String(value) } };

async function* csv(run: RunRecord, pages: ExportPages, reviews: ExportReviews): AsyncGenerator<string> {
  const evaluatorIds = run.spec.evaluatorIds;
  const header = ['index', 'targetId', 'repeat', 'entry', 'output', 'error', 'cost', 'duration_ms', 'tokens_in', 'tokens_out', 'attempts', 'cached'];
  for (const id of evaluatorIds) header.push(`${id}.status`, `${id}.passed`, `${id}.score`, `${id}.label`);
  // Reviews after the evaluator columns: the cell's review, its comment and reviewer, then each evaluator's reviewed verdict.
  header.push('review', 'review.comment', 'review.by', ...evaluatorIds.map((id) => `${id}.review`));
  // Loaded on the first CSV export, not at start-up (docs/benchmarks.md, "Memory").
  const { stringify: stringifyRecords } = await import('csv-stringify/sync');
  const stringify = (records: unknown[][]) => stringifyRecords(records, CSV_OPTIONS);
  yield stringify([header.map(csvText)]);
  for await (const { cells, rows } of pages()) {
    const reviewsOf = await reviews(cells);
    const lines = cells.map((cell) => {
      const byId = new Map(cell.evaluations.map((e) => [e.evaluatorId, e.result]));
      for (const r of rowsOf(cell, rows)) byId.set(r.evaluatorId, r.evaluation.result);
      const line: unknown[] = [
        cell.rowIndex, csvText(cell.targetId), cell.repeat, csvText(JSON.stringify(cell.entry)),
        cell.ok ? csvText(asText(cell.output)) : '', cell.ok ? '' : csvText(cell.error),
        cell.cost ?? '', cell.durationMs, cell.tokens?.input ?? '', cell.tokens?.output ?? '', cell.attempts, cell.cached,
      ];
      for (const id of evaluatorIds) {
        const r = byId.get(id);
        const processed = r?.status === 'processed' ? r : undefined;
        line.push(r?.status ?? '', processed?.passed ?? '', processed?.score ?? '', csvText(processed?.label ?? ''));
      }
      const reviewed = reviewsOf.get(cell.cell);
      line.push(reviewed?.cell?.verdict ?? '', csvText(reviewed?.cell?.comment ?? ''), csvText(reviewed?.cell?.reviewer ?? ''));
      for (const id of evaluatorIds) line.push(reviewed?.evaluators.get(id)?.verdict ?? '');
      return line;
    });
    if (lines.length > 0) yield stringify(lines);
  }
}

/** How a cell reads as a JUnit test case: passed, failed (an evaluator said no) or error (a call failed). */
function junitOutcome(cell: CellResult): 'passed' | 'failure' | 'error' {
  if (!cell.ok || cell.evaluations.some((e) => e.result.status === 'error')) return 'error';
  return cellPassed(cell) ? 'passed' : 'failure';
}

/** Why an evaluator failed a case: its details, else what it returned. */
function failureText(name: string, r: { details?: string | undefined; score?: number | undefined; label?: string | undefined }): string {
  if (r.details) return r.details;
  const facts = [r.score !== undefined ? `score ${r.score}` : '', r.label !== undefined ? `label ${JSON.stringify(r.label)}` : ''].filter((f) => f !== '');
  return `${name} returned passed: false${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
}

/** A test case's reviews as JUnit properties (the outcome stays the evaluators'). */
function junitReviews(r: CellReviews | undefined): string {
  const props = reviewList(r).map((v) => {
    const name = v.evaluatorId === null ? 'review' : `review.${v.evaluatorId}`;
    const value = `${v.verdict} by ${v.reviewer}${v.comment ? `: ${v.comment}` : ''}`;
    return `<property name="${xml(name)}" value="${xml(value)}"/>`;
  });
  return props.length > 0 ? `<properties>${props.join('')}</properties>` : '';
}

async function* junit(run: RunRecord, pages: ExportPages, reviews: ExportReviews): AsyncGenerator<string> {
  // A first pass counts the outcomes: `tests`, `failures` and `errors` go in the opening tags.
  const counts = { tests: 0, failure: 0, error: 0 };
  for await (const { cells } of pages()) {
    for (const cell of cells) {
      counts.tests++;
      const outcome = junitOutcome(cell);
      if (outcome !== 'passed') counts[outcome]++;
    }
  }
  const attrs = `tests="${counts.tests}" failures="${counts.failure}" errors="${counts.error}"`;
  yield `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(run.experimentSlug)}" ${attrs}>\n<testsuite name="${xml(`${run.experimentSlug} ${run.id}`)}" ${attrs}>\n`;
  for await (const { cells } of pages()) {
    const reviewsOf = await reviews(cells);
    let chunk = '';
    for (const cell of cells) {
      const name = `row ${cell.rowIndex}${run.spec.repeats > 1 ? ` repeat ${cell.repeat}` : ''}`;
      chunk += `<testcase classname="${xml(`${run.experimentSlug}.${cell.targetId}`)}" name="${xml(name)}" time="${(cell.durationMs / 1000).toFixed(3)}">`;
      chunk += junitReviews(reviewsOf.get(cell.cell));
      if (!cell.ok) chunk += `<error message="${xml(cell.error)}"/>`;
      for (const e of cell.evaluations) {
        const r = e.result;
        // The details say why: they go in the element's text, escaped, where CI reports show them.
        if (r.status === 'error') chunk += `<error message="${xml(`${e.evaluatorId} errored`)}">${xml(r.details)}</error>`;
        else if (r.status === 'processed' && r.passed === false) chunk += `<failure message="${xml(`${e.evaluatorId} failed`)}">${xml(failureText(e.name, r))}</failure>`;
      }
      chunk += '</testcase>\n';
    }
    if (chunk !== '') yield chunk;
  }
  yield '</testsuite>\n</testsuites>\n';
}
