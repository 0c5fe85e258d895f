// How the CLI's tables name things: a name cut to its column with "…" (a cut without one read
// as the whole name: "gpt-4o-mini, short ans"), and evaluators named as the run page names them.
import { terminalText } from './terminal-text.js';

/** A name column's width when the screen's is unknown (a CI log, a pipe): the tables' fixed layout. */
export const NAME_WIDTH = 22;
/** The narrowest a name column gets on a narrow terminal ("…" and the start of a name still read). */
const NARROWEST = 12;

/** Standard output's width in characters when it is a terminal; undefined for a pipe or a file (a CI log). */
export function terminalColumns(stream: { isTTY?: boolean; columns?: number } = process.stdout): number | undefined {
  return stream.isTTY === true && typeof stream.columns === 'number' && stream.columns > 0 ? stream.columns : undefined;
}

/**
 * The width of a table's name column: `fixed` where the screen's width is unknown (`columns`
 * undefined: CI logs keep one layout); on a terminal, wide enough for the longest name (at least
 * `fixed`) as far as the line's other columns (`rest` characters) leave room, so a row never
 * wraps, down to NARROWEST on a terminal too narrow for the table.
 */
export function nameWidth(names: readonly string[], rest: number, columns: number | undefined, fixed = NAME_WIDTH): number {
  if (columns === undefined) return fixed;
  const longest = Math.max(0, ...names.map((n) => terminalText(n, Infinity).length));
  // One column spare: a line of exactly the terminal's width wraps on some terminals.
  const room = Math.max(NARROWEST, columns - 1 - rest);
  return Math.min(room, Math.max(fixed, longest));
}

/** `text` on one line, cut to `width` characters with "…" when longer, padded to `width` (a table column). */
export function column(text: string, width: number): string {
  return terminalText(text, width).padEnd(width);
}

/**
 * `head` then `tail` in a column of `width`: when too long, `head` is cut and `tail` stays whole
 * (two "LLM-as-a-Judge Boolean (…)" evaluators cut alike read as one; their ids tell them apart).
 * A tail that leaves the head fewer than 6 characters is cut with it.
 */
export function columnKeepingTail(head: string, tail: string, width: number): string {
  const whole = terminalText(`${head}${tail}`, Infinity);
  if (whole.length <= width) return whole.padEnd(width);
  // terminalText trims: the space between head and tail is put back.
  const end = `${/^\s/.test(tail) ? ' ' : ''}${terminalText(tail, Infinity)}`;
  const room = width - end.length;
  if (room < 6) return column(whole, width);
  return `${terminalText(head, room)}${end}`.padEnd(width);
}

/** An evaluator's label in a column of `width`: its name cut, the "(id)" that tells it from a namesake kept whole; `tail` follows the id (" × target"). */
export function evaluatorColumn(labels: Map<string, string>, e: { evaluatorId: string; name: string }, width: number, tail = ''): string {
  const label = labels.get(e.evaluatorId) ?? e.name;
  const suffix = label.startsWith(e.name) ? label.slice(e.name.length) : '';
  return columnKeepingTail(suffix ? e.name : label, `${suffix}${tail}`, width);
}

/**
 * Each evaluator's label, by id: its name, with "(id)" after it only when two evaluators share
 * the name (two unnamed evaluators of one type are both "Custom Code") — the run page's rule
 * (web/src/run/run-model.ts).
 */
export function evaluatorLabels(evaluators: readonly { evaluatorId: string; name: string }[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const e of evaluators) if (!names.has(e.evaluatorId)) names.set(e.evaluatorId, e.name);
  const uses = new Map<string, number>();
  for (const n of names.values()) uses.set(n, (uses.get(n) ?? 0) + 1);
  const labels = new Map<string, string>();
  for (const [id, n] of names) labels.set(id, uses.get(n)! > 1 && n !== id ? `${n} (${id})` : n);
  return labels;
}
