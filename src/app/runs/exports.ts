// A run's results as JSON Lines, CSV or JUnit XML, produced page by page so a 100,000-cell run
// is never held in memory. Shared by the HTTP export route and anything else that writes a
// report (the CLI fetches it over HTTP). Row-scoped results (N-way comparisons) appear with the
// cell they are reported under (the row's first compared target), as in the results page.
//
// CSV fields that hold text from users or models are neutralised against formula injection as
// OWASP recommends: a field starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
// leading `'`, so a spreadsheet shows it as text instead of running it (a prompt injection can
// make a model answer `=HYPERLINK(…)`). Numbers Assay writes itself stay numbers.
import type { EvaluationResult } from '../../core/model/results.js';
import type { CellResult, RowResult, RunRecord } from '../../core/model/run.js';
import { cellPassed } from '../../core/engine/aggregate.js';
import { datasetEntry, evaluationEntries, rowEvaluationEntry } from './present.js';
import { type CellReviews, publicReview } from './reviews.js';
import { suggestKey } from '../key-suggestions.js';

export const EXPORT_FORMATS = ['jsonl', 'csv', 'junit'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Which cells an export keeps besides all: those that did not pass, or those with an error (a failed call, an evaluator error). */
export const EXPORT_ONLY = ['failed', 'errors'] as const;
export type ExportOnly = (typeof EXPORT_ONLY)[number];

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

export interface ExportOptions {
  /** Only these cells (default: every cell). */
  only?: ExportOnly | undefined;
  /** CSV columns, chosen and ordered (csvColumnsNamed); default: every column. */
  columns?: readonly CsvColumn[] | undefined;
}

/** The export of `run` in `format`, as chunks of text. */
export function exportRun(run: RunRecord, format: ExportFormat, pages: ExportPages, reviews: ExportReviews = NO_REVIEWS, options: ExportOptions = {}): AsyncGenerator<string> {
  const only = options.only;
  const kept: ExportPages = only ? () => keptPages(pages, only) : pages;
  switch (format) {
    case 'jsonl':
      return jsonLines(kept, reviews);
    case 'csv':
      return csv(kept, reviews, options.columns ?? csvColumns(run.spec.evaluatorIds));
    case 'junit':
      return junit(run, kept, reviews);
  }
}

/** The pages with only the cells `only` keeps (a page may end up empty: its cells are skipped). */
async function* keptPages(pages: ExportPages, only: ExportOnly): AsyncGenerator<ExportPage> {
  const keep = only === 'failed' ? (c: CellResult) => junitOutcome(c) !== 'passed' : (c: CellResult) => junitOutcome(c) === 'error';
  for await (const page of pages()) yield { cells: page.cells.filter(keep), rows: page.rows };
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

/** What a CSV column reads a value from. */
interface CsvCell {
  cell: CellResult;
  /** Evaluator results by evaluator id, the row-scoped ones of the cell's row included. */
  results: ReadonlyMap<string, EvaluationResult>;
  reviewed: CellReviews | undefined;
}

export interface CsvColumn {
  name: string;
  value(c: CsvCell): unknown;
}

const processedOf = (c: CsvCell, id: string) => {
  const r = c.results.get(id);
  return r?.status === 'processed' ? r : undefined;
};

/** Every CSV column of a run with these evaluators, in the default order. */
function csvColumns(evaluatorIds: readonly string[]): CsvColumn[] {
  const columns: CsvColumn[] = [
    { name: 'index', value: ({ cell }) => cell.rowIndex },
    { name: 'targetId', value: ({ cell }) => csvText(cell.targetId) },
    { name: 'repeat', value: ({ cell }) => cell.repeat },
    { name: 'entry', value: ({ cell }) => csvText(JSON.stringify(cell.entry)) },
    { name: 'output', value: ({ cell }) => (cell.ok ? csvText(asText(cell.output)) : '') },
    { name: 'error', value: ({ cell }) => (cell.ok ? '' : csvText(cell.error)) },
    { name: 'cost', value: ({ cell }) => cell.cost ?? '' },
    { name: 'duration_ms', value: ({ cell }) => cell.durationMs },
    { name: 'tokens_in', value: ({ cell }) => cell.tokens?.input ?? '' },
    { name: 'tokens_out', value: ({ cell }) => cell.tokens?.output ?? '' },
    { name: 'attempts', value: ({ cell }) => cell.attempts },
    { name: 'cached', value: ({ cell }) => cell.cached },
  ];
  for (const id of evaluatorIds) {
    columns.push(
      { name: `${id}.status`, value: (c) => c.results.get(id)?.status ?? '' },
      { name: `${id}.passed`, value: (c) => processedOf(c, id)?.passed ?? '' },
      { name: `${id}.score`, value: (c) => processedOf(c, id)?.score ?? '' },
      { name: `${id}.label`, value: (c) => csvText(processedOf(c, id)?.label ?? '') },
    );
  }
  // Reviews after the evaluator columns: the cell's review, its comment and reviewer, then each evaluator's reviewed verdict.
  columns.push(
    { name: 'review', value: ({ reviewed }) => reviewed?.cell?.verdict ?? '' },
    { name: 'review.comment', value: ({ reviewed }) => csvText(reviewed?.cell?.comment ?? '') },
    { name: 'review.by', value: ({ reviewed }) => csvText(reviewed?.cell?.reviewer ?? '') },
    ...evaluatorIds.map((id): CsvColumn => ({ name: `${id}.review`, value: ({ reviewed }) => reviewed?.evaluators.get(id)?.verdict ?? '' })),
  );
  return columns;
}

/** `entry.<name>`: one column of the row (parameters merged), numbers and booleans as they are. */
function entryColumn(name: string, key: string): CsvColumn {
  return {
    name,
    value: ({ cell }) => {
      const v = Object.hasOwn(cell.entry, key) ? cell.entry[key] : undefined;
      return typeof v === 'number' || typeof v === 'boolean' ? v : csvText(asText(v));
    },
  };
}

/**
 * The names of row columns that `names` may mean: those `entry.<name>` reads, and a name that is
 * none of the run's own columns (`question` for `entry.question`). Empty: the rows' columns need
 * not be read.
 */
export function rowNamesAsked(run: RunRecord, names: readonly string[]): string[] {
  const own = new Set(csvColumns(run.spec.evaluatorIds).map((c) => c.name));
  return names.filter((n) => !own.has(n)).map((n) => (n.startsWith(ENTRY) && n.length > ENTRY.length ? n.slice(ENTRY.length) : n));
}

const ENTRY = 'entry.';
/** Names a message lists at most. */
const LISTED = 20;

const listed = (names: readonly string[]): string => names.slice(0, LISTED).join(', ') + (names.length > LISTED ? `, … (${names.length} in all)` : '');

/**
 * The CSV columns named, in that order: any of the run's columns (`index`, `output`,
 * `<evaluator>.passed`, …) and `entry.<column>` for a column of the rows. An unknown or
 * repeated name is a message for the caller, not a column; so is `entry.<name>` for a name that
 * is not a column of the run's rows (`rowColumns`: runRowColumns; null when they are not known).
 * A column only some rows have is a column: the rows without it export an empty field.
 */
export function csvColumnsNamed(run: RunRecord, names: readonly string[], rowColumns: ReadonlySet<string> | null = null): CsvColumn[] | { problem: string } {
  const all = csvColumns(run.spec.evaluatorIds);
  const byName = new Map(all.map((c) => [c.name, c]));
  const chosen: CsvColumn[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return { problem: `Column "${name}" is asked for twice` };
    seen.add(name);
    const known = byName.get(name);
    if (known) {
      chosen.push(known);
      continue;
    }
    if (name.startsWith(ENTRY) && name.length > ENTRY.length) {
      const key = name.slice(ENTRY.length);
      if (rowColumns === null || rowColumns.has(key)) {
        chosen.push(entryColumn(name, key));
        continue;
      }
      const columns = [...rowColumns];
      const near = suggestKey(key, columns);
      const guess = near === undefined ? '' : ` (did you mean "${ENTRY}${near}"?)`;
      return { problem: `Unknown column "${name}": the run's rows have no column "${key}"${guess}; their columns are ${columns.length === 0 ? 'none' : listed(columns)}` };
    }
    // A plain name may be a near-typo of one of the run's columns, or a column of the rows without its `entry.`.
    const rowGuess = rowColumns?.has(name) ? `${ENTRY}${name}` : undefined;
    const near = rowGuess ?? suggestKey(name, all.map((c) => c.name));
    const guess = near === undefined ? '' : ` (did you mean "${near}"?)`;
    return { problem: `Unknown column "${name}"${guess}: the columns are ${all.map((c) => c.name).join(', ')}, and entry.<column> for a column of the rows` };
  }
  return chosen;
}

async function* csv(pages: ExportPages, reviews: ExportReviews, columns: readonly CsvColumn[]): AsyncGenerator<string> {
  // Loaded on the first CSV export, not at start-up (docs/benchmarks.md, "Memory").
  const { stringify: stringifyRecords } = await import('csv-stringify/sync');
  const stringify = (records: unknown[][]) => stringifyRecords(records, CSV_OPTIONS);
  yield stringify([columns.map((c) => csvText(c.name))]);
  for await (const { cells, rows } of pages()) {
    if (cells.length === 0) continue;
    const reviewsOf = await reviews(cells);
    const lines = cells.map((cell) => {
      const results = new Map<string, EvaluationResult>(cell.evaluations.map((e) => [e.evaluatorId, e.result]));
      for (const r of rowsOf(cell, rows)) results.set(r.evaluatorId, r.evaluation.result);
      const at: CsvCell = { cell, results, reviewed: reviewsOf.get(cell.cell) };
      return columns.map((c) => c.value(at));
    });
    yield stringify(lines);
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

/** Longest part of a row's first text shown in a case's name. */
const CASE_TEXT = 60;

/**
 * A case's name: its row, and the row's first text value (its question, as a rule), so a CI
 * report lists "row 3: Capital of France?" rather than a column of "row N".
 */
function caseName(cell: CellResult, repeats: number): string {
  const first = Object.values(cell.entry).find((v): v is string => typeof v === 'string' && v.trim() !== '');
  const text = first === undefined ? '' : `: ${first.length > CASE_TEXT ? `${first.slice(0, CASE_TEXT)}…` : first}`.replace(/\s+/g, ' ');
  return `row ${cell.rowIndex}${repeats > 1 ? ` repeat ${cell.repeat}` : ''}${text}`;
}

/**
 * The case's one `<error>` or `<failure>`, or nothing when it passed. JUnit's schema allows one
 * per case, and CI reports (GitHub's test reporters, Jenkins) show only the first of several:
 * each evaluator that said no or errored is a line of the text. A failed call or an evaluator
 * error makes it an error; otherwise a failure.
 */
function junitProblem(cell: CellResult): string {
  const errors: string[] = cell.ok ? [] : [cell.error];
  const failures: string[] = [];
  for (const e of cell.evaluations) {
    const r = e.result;
    // The details say why: they go in the element's text, escaped, where CI reports show them.
    if (r.status === 'error') errors.push(`${e.evaluatorId} errored: ${r.details}`);
    else if (r.status === 'processed' && r.passed === false) failures.push(`${e.evaluatorId} failed: ${failureText(e.name, r)}`);
  }
  if (errors.length === 0 && failures.length === 0) return '';
  const kind = errors.length > 0 ? 'error' : 'failure';
  const lines = [...errors, ...failures];
  const message = cell.ok ? lines.map((l) => l.slice(0, l.indexOf(':'))).join(', ') : cell.error;
  return `<${kind} message="${xml(message)}">${xml(lines.join('\n'))}</${kind}>`;
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
      chunk += `<testcase classname="${xml(`${run.experimentSlug}.${cell.targetId}`)}" name="${xml(caseName(cell, run.spec.repeats))}" time="${(cell.durationMs / 1000).toFixed(3)}">`;
      chunk += junitReviews(reviewsOf.get(cell.cell));
      chunk += junitProblem(cell);
      chunk += '</testcase>\n';
    }
    if (chunk !== '') yield chunk;
  }
  yield '</testsuite>\n</testsuites>\n';
}
