// What the experiment page's Run form checks before it asks the server: the parameters (every
// line that is not name=value, not only the first) and the rows (a list like 0,2,5-9 whose
// indexes the dataset has: `5` on a 2-row dataset used to start a run of 0 cells). Pure, so it
// is tested in Node; run-form.tsx shows what it finds.
import type { StartRunBody } from '../api-types.js';

/** A parameter's value as the run API takes it: numbers and booleans typed. */
export type ParameterValue = string | number | boolean;

/** Out-of-range row indexes named in a message, at most. */
const NAMED = 5;

/** "0,2,5-9" → [0,2,5,6,7,8,9]; null when the text is not such a list. */
export function parseRows(text: string): number[] | null {
  const out: number[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 1_000_000) return null;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

/** "k=v" lines → parameters, or one message per line that is not name=value. */
export function parseParameters(text: string): { parameters: Record<string, ParameterValue>; errors: string[] } {
  const parameters: Record<string, ParameterValue> = {};
  const errors: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const eq = line.indexOf('=');
    if (eq <= 0 || !line.slice(0, eq).trim()) {
      errors.push(`Parameters, line ${i + 1}: expected name=value, got "${line.trim()}"`);
      continue;
    }
    const v = line.slice(eq + 1).trim();
    parameters[line.slice(0, eq).trim()] = v === 'true' ? true : v === 'false' ? false : v !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
  }
  return { parameters, errors };
}

/** What is wrong with a row selection (`text`, not empty) of a dataset of `rowCount` rows (undefined: not known here). */
export function rowErrors(text: string, rowCount: number | undefined): { rows: number[] | null; errors: string[] } {
  const rows = parseRows(text);
  if (rows === null) return { rows, errors: ['Rows: expected a list like 0,2,5-9'] };
  if (rows.length === 0) return { rows, errors: ['Rows: no row given (leave the field empty for every row)'] };
  if (rowCount === undefined) return { rows, errors: [] };
  const outside = [...new Set(rows.filter((i) => i >= rowCount))];
  if (outside.length === 0) return { rows, errors: [] };
  const named = outside.slice(0, NAMED).join(', ') + (outside.length > NAMED ? ` and ${outside.length - NAMED} more` : '');
  const has = rowCount === 0 ? 'the dataset has no rows' : rowCount === 1 ? 'the dataset has 1 row, numbered 0' : `the dataset has ${rowCount} rows, numbered 0–${rowCount - 1}`;
  return { rows, errors: [`Rows: ${has}; ${outside.length === 1 ? 'row' : 'rows'} ${named} ${outside.length === 1 ? 'is' : 'are'} not in it`] };
}

/** The run body the form describes, or every message about what is wrong with it. */
export function checkRunForm(params: string, rows: string, rowCount: number | undefined): { body: StartRunBody } | { errors: string[] } {
  const p = parseParameters(params);
  const r = rows.trim() ? rowErrors(rows, rowCount) : { rows: undefined, errors: [] };
  const errors = [...p.errors, ...r.errors];
  if (errors.length > 0) return { errors };
  const body: StartRunBody = {};
  if (Object.keys(p.parameters).length > 0) body.parameters = p.parameters;
  if (r.rows) body.row_indices = r.rows;
  return { body };
}
