// A run whose evaluator maps an input to a column its rows do not have is refused at its start
// (and its estimate): `inputs: {expected_output: row.expectd}` read nothing on every cell, each
// result was `skipped`, and the run passed its gate at 100% with nothing checked (review of
// 2026-12-06). The rows' columns are known before any row is read: a saved dataset's version
// lists them, inline rows and the request's `data` carry them, and parameters are merged in.
// docs/decisions.md, "Mapped columns are checked at the start".
import { type Issue, ValidationError } from '../../core/errors.js';
import type { EvaluatorSpec, InputMapping } from '../../core/model/experiment.js';
import { suggestKey } from '../key-suggestions.js';

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

/** Throws a 400 naming every evaluator input mapped to `row.<column>` that the rows lack. */
export function checkMappedColumns(evaluators: readonly EvaluatorSpec[], columns: ReadonlySet<string>): void {
  const issues: Issue[] = [];
  const messages: string[] = [];
  const visit = (spec: Pick<EvaluatorSpec, 'id' | 'inputs' | 'settings'>, path: (string | number)[]) => {
    for (const [input, mapping] of Object.entries(spec.inputs ?? {})) {
      const column = mappedColumn(mapping);
      if (column === undefined || columns.has(column) || columns.has(column.split('.')[0]!)) continue;
      const near = suggestKey(column, [...columns]);
      const message = `evaluator "${spec.id}" maps ${input} to row.${column}, but the rows have no column "${column}"${near ? ` (did you mean "${near}"?)` : ''}`;
      messages.push(message);
      issues.push({ path: [...path, 'inputs', input], message });
    }
    // An evaluator set's members map their own inputs.
    const members = (spec.settings as { evaluators?: unknown } | undefined)?.evaluators;
    if (Array.isArray(members)) {
      members.forEach((m, i) => {
        if (typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'string') visit(m as EvaluatorSpec, [...path, 'settings', 'evaluators', i]);
      });
    }
  };
  evaluators.forEach((e, i) => visit(e, ['evaluators', i]));
  if (issues.length === 0) return;
  const shown = [...columns].slice(0, 20).join(', ') + (columns.size > 20 ? ', …' : '');
  const more = messages.length > 1 ? ` (and ${messages.length - 1} more)` : '';
  throw new ValidationError(`Invalid run: ${messages[0]}${more}; every cell would skip it. The rows' columns: ${shown || 'none'}`, issues);
}

function mappedColumn(mapping: InputMapping): string | undefined {
  return typeof mapping === 'string' && mapping.startsWith('row.') ? mapping.slice('row.'.length) : undefined;
}
