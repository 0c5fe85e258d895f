// A run whose evaluator maps an input to a column its rows do not have is refused at its start
// (and its estimate): `inputs: {expected_output: row.expectd}` read nothing on every cell, each
// result was `skipped`, and the run passed its gate at 100% with nothing checked (review of
// 2026-12-06). So is a target whose template reads a name the rows lack (`{{ contry }}` rendered
// empty on every row) or whose prompt variable maps one, unless the template allows it to be
// missing (`{% if hint %}`, `| default:`). The rows' columns are known before any row is read: a
// saved dataset's version lists them, inline rows and the request's `data` carry them, and
// parameters are merged in. docs/decisions.md, "Mapped columns are checked at the start" and
// "Template names are checked at the start".
import { type Issue, ValidationError } from '../../core/errors.js';
import type { EvaluatorSpec, InputMapping, Target } from '../../core/model/experiment.js';
import { suggestKey } from '../key-suggestions.js';

/** The top-level names a target's templates read (src/targets/template-reads.ts, injected: the app does not load adapters). */
export type TemplateReads = (target: Target) => { path: (string | number)[]; name: string; key: string | undefined; guarded: boolean }[];

/** What one check found: an issue each, and the messages for the error's text. */
interface Found {
  issues: Issue[];
  messages: string[];
}

/** Rows scanned for their keys: a row's columns are its own keys, and rows may differ. */
function keysOf(rows: readonly Record<string, unknown>[]): Set<string> {
  const keys = new Set<string>();
  for (const row of rows) for (const key in row) if (Object.hasOwn(row, key)) keys.add(key);
  return keys;
}

/** The columns a run's rows have: from a saved version's list, or the rows themselves, and the parameters. */
export function runColumns(source: { columns: readonly string[] } | { rows: readonly Record<string, unknown>[] }, parameters: Record<string, unknown>): Set<string> {
  const columns = 'columns' in source ? new Set(source.columns) : keysOf(source.rows);
  for (const name of Object.keys(parameters)) columns.add(name);
  return columns;
}

/**
 * Every evaluator input, prompt variable and template read of a column the rows lack, an issue
 * each (path into the document). A save answers them as warnings for its inline rows
 * (app/experiments.ts): a run may bring rows of its own, so they refuse only a start.
 */
export function columnIssues(
  evaluators: readonly { evaluator: EvaluatorSpec; index: number }[],
  targets: readonly { target: Target; index: number }[],
  columns: ReadonlySet<string>,
  templateReads: TemplateReads | undefined,
): Issue[] {
  return findColumns(evaluators, targets, columns, templateReads).issues;
}

function findColumns(
  evaluators: readonly { evaluator: EvaluatorSpec; index: number }[],
  targets: readonly { target: Target; index: number }[],
  columns: ReadonlySet<string>,
  templateReads: TemplateReads | undefined,
): Found {
  const found: Found = { issues: [], messages: [] };
  for (const { target, index } of targets) checkTarget(target, index, columns, templateReads, found);
  // Paths name the evaluator's place in the document, not among those the run selected.
  for (const { evaluator, index } of evaluators) checkEvaluator(evaluator, ['evaluators', index], columns, found);
  return found;
}

/** Throws a 400 naming every evaluator input, prompt variable and template read of a column the rows lack. */
export function checkColumns(
  evaluators: readonly { evaluator: EvaluatorSpec; index: number }[],
  targets: readonly { target: Target; index: number }[],
  columns: ReadonlySet<string>,
  templateReads: TemplateReads | undefined,
): void {
  const found = findColumns(evaluators, targets, columns, templateReads);
  if (found.issues.length === 0) return;
  const shown = [...columns].slice(0, 20).join(', ') + (columns.size > 20 ? ', …' : '');
  const more = found.messages.length > 1 ? ` (and ${found.messages.length - 1} more)` : '';
  throw new ValidationError(`Invalid run: ${found.messages[0]}${more}. The rows' columns: ${shown || 'none'}`, found.issues);
}

function missing(columns: ReadonlySet<string>, column: string): boolean {
  return !columns.has(column) && !columns.has(column.split('.')[0]!);
}

function didYouMean(column: string, columns: ReadonlySet<string>): string {
  const near = suggestKey(column, [...columns]);
  return near ? ` (did you mean "${near}"?)` : '';
}

function checkEvaluator(spec: Pick<EvaluatorSpec, 'id' | 'inputs' | 'settings'>, path: (string | number)[], columns: ReadonlySet<string>, found: Found): void {
  for (const [input, mapping] of Object.entries(spec.inputs ?? {})) {
    const column = mappedColumn(mapping);
    if (column === undefined || !missing(columns, column)) continue;
    const message = `evaluator "${spec.id}" maps ${input} to row.${column}, but the rows have no column "${column}"${didYouMean(column, columns)}; every cell would skip it`;
    found.messages.push(message);
    found.issues.push({ path: [...path, 'inputs', input], message });
  }
  // An evaluator set's members map their own inputs.
  const members = (spec.settings as { evaluators?: unknown } | undefined)?.evaluators;
  if (Array.isArray(members)) {
    members.forEach((m, i) => {
      if (typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'string') checkEvaluator(m as EvaluatorSpec, [...path, 'settings', 'evaluators', i], columns, found);
    });
  }
}

/** Names a target's templates may read besides the columns: the parameters, its variables, an HTTP target's secrets. */
function scopeNames(target: Target): Set<string> {
  const names = new Set(['parameters']);
  if (target.type === 'prompt') for (const name of Object.keys(target.variables ?? {})) names.add(name);
  if (target.type === 'http') names.add('secrets');
  return names;
}

function checkTarget(target: Target, index: number, columns: ReadonlySet<string>, templateReads: TemplateReads | undefined, found: Found): void {
  const base = ['targets', index];
  if (target.type === 'prompt') {
    for (const [name, mapping] of Object.entries(target.variables ?? {})) {
      const column = mappedColumn(mapping);
      if (column === undefined || !missing(columns, column)) continue;
      const message = `target "${target.id}" maps its variable ${name} to row.${column}, but the rows have no column "${column}"${didYouMean(column, columns)}`;
      found.messages.push(message);
      found.issues.push({ path: [...base, 'variables', name], message });
    }
  }
  if (!templateReads) return;
  const reads = templateReads(target);
  const known = scopeNames(target);
  // A name the template guards anywhere (`{% if hint %}…{{ hint }}`) may be missing by design.
  const optional = new Set(reads.filter((r) => r.guarded).map((r) => r.name));
  const reported = new Set<string>();
  for (const read of reads) {
    const { name } = read;
    if (known.has(name) || columns.has(name) || optional.has(name) || reported.has(name)) continue;
    reported.add(name);
    const hint = name === 'row' && read.key !== undefined
      ? `: columns are read by their name, {{ ${read.key} }}${columns.has(read.key) ? '' : didYouMean(read.key, columns)}`
      : `, but the rows have no column "${name}"${didYouMean(name, columns)}`;
    const guard = name === 'row' ? '' : ` (if it may be missing, guard it: {% if ${name} %}, or | default:)`;
    const message = `target "${target.id}" reads {{ ${name === 'row' && read.key !== undefined ? `row.${read.key}` : name} }} in ${read.path.join('.')}${hint}; it would render empty on every row${guard}`;
    found.messages.push(message);
    found.issues.push({ path: [...base, ...read.path], message });
  }
}

function mappedColumn(mapping: InputMapping): string | undefined {
  return typeof mapping === 'string' && mapping.startsWith('row.') ? mapping.slice('row.'.length) : undefined;
}
