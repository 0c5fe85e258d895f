// Save-time checks of an evaluator spec beyond its settings: what it names must be used.
// - Mapped input names: an input the evaluator does not read was saved and ignored:
//   `"expectedOutput": "row.answer"` on exact_match left expected_output unset, the evaluator
//   skipped every cell, and a run gated on its pass rate passed (a skipped result counts against
//   nothing). Now such a name is refused, naming the inputs the evaluator reads.
// - Setting names: `"caseSensitive": true` on exact_match (its setting is case_sensitive) was
//   saved, dropped by the settings' parse, and "A" matched "a".
// - `threshold` on an evaluator that reports no score: it could never apply.
import type { Issue } from '../core/errors.js';
import { findEvaluator, settingNames } from '../evaluators/catalogue.js';
import { EVALUATOR_SET_ID } from '../evaluators/evaluator-set.js';

interface SpecInputs {
  type: string;
  settings?: unknown;
  inputs?: Record<string, unknown>;
  threshold?: number;
}

/** Names compared loosely for a suggestion: expectedOutput, expected-output, Expected_Output. */
const loose = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * An issue for each of `given` that is not in `known`, at `at` + its name: `what(shown)` says
 * what it is not ("has no setting "x""), with a suggestion when only case or separators differ.
 */
function unknownNames(given: string[], known: readonly string[], at: (string | number)[], what: (shown: string) => string, listed: string): Issue[] {
  return given
    .filter((name) => !known.includes(name))
    .map((name) => {
      const near = known.find((k) => loose(k) === loose(name));
      const shown = name.length > 60 ? `${name.slice(0, 60)}…` : name;
      return { path: [...at, name], message: `${what(shown)}${near ? ` (did you mean "${near}"?)` : ''}; its ${listed} are ${known.join(', ') || 'none'}` };
    });
}

/**
 * Issues of `spec` (at `path`): settings keys its evaluator does not have, input names it does
 * not read, a threshold it cannot apply; and its members' when it is a set. Unknown types and
 * invalid settings are evaluatorCheck's to report.
 */
export function evaluatorSpecIssues(spec: SpecInputs, path: (string | number)[]): Issue[] {
  const def = findEvaluator(spec.type);
  if (!def) return [];
  const issues: Issue[] = [];
  const names = settingNames(def.id);
  if (names && typeof spec.settings === 'object' && spec.settings !== null && !Array.isArray(spec.settings)) {
    issues.push(...unknownNames(Object.keys(spec.settings), names, [...path, 'settings'], (shown) => `${def.id} has no setting "${shown}"`, 'settings'));
  }
  if (spec.threshold !== undefined && !def.result.includes('score')) {
    issues.push({ path: [...path, 'threshold'], message: `${def.id} reports no score (it reports ${def.result.join(' and ')}), so a threshold cannot apply; use negate to invert its verdict` });
  }
  if (spec.inputs && !def.anyInputs) {
    const known = [...def.requiredInputs, ...def.optionalInputs];
    issues.push(...unknownNames(Object.keys(spec.inputs), known, [...path, 'inputs'], (shown) => `${def.id} reads no input named "${shown}"`, 'inputs'));
  }
  if (def.id === EVALUATOR_SET_ID) {
    const members = (spec.settings as { evaluators?: SpecInputs[] } | undefined)?.evaluators ?? [];
    members.forEach((m, j) => issues.push(...evaluatorSpecIssues(m, [...path, 'settings', 'evaluators', j])));
  }
  return issues;
}

/** Whether evaluator `type` has a setting `name`; true for types or settings shapes it does not know. */
export function hasSetting(type: string, name: string): boolean {
  const names = settingNames(type);
  return names === null || names.includes(name);
}

/** Whether evaluator `type` reads input `name`; true for types it does not know (the import's own checks name those). */
export function readsInput(type: string, name: string): boolean {
  const def = findEvaluator(type);
  return !def || def.anyInputs === true || def.requiredInputs.includes(name) || def.optionalInputs.includes(name);
}
