// How the CLI's tables name things: a name cut to its column with "…" (a cut without one read
// as the whole name: "gpt-4o-mini, short ans"), and evaluators named as the run page names them.
import { terminalText } from './terminal-text.js';

/** `text` on one line, cut to `width` characters with "…" when longer, padded to `width` (a table column). */
export function column(text: string, width: number): string {
  return terminalText(text, width).padEnd(width);
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
