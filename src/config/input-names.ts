// Save-time check of an evaluator's mapped input names. An input the evaluator does not read was
// saved and ignored: `"expectedOutput": "row.answer"` on exact_match left expected_output unset,
// the evaluator skipped every cell, and a run gated on its pass rate passed (a skipped result
// counts against nothing). Now such a name is refused, naming the inputs the evaluator reads.
import type { Issue } from '../core/errors.js';
import { findEvaluator } from '../evaluators/catalogue.js';
import { EVALUATOR_SET_ID } from '../evaluators/evaluator-set.js';

interface SpecInputs {
  type: string;
  settings?: unknown;
  inputs?: Record<string, unknown>;
}

/** Names compared loosely for a suggestion: expectedOutput, expected-output, Expected_Output. */
const loose = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Issues for the input names of `spec` (at `path`) that its evaluator does not read, and of its
 * members when it is a set. Unknown types and invalid settings are evaluatorCheck's to report.
 */
export function inputNameIssues(spec: SpecInputs, path: (string | number)[]): Issue[] {
  const def = findEvaluator(spec.type);
  if (!def) return [];
  const issues: Issue[] = [];
  if (spec.inputs && !def.anyInputs) {
    const known = [...def.requiredInputs, ...def.optionalInputs];
    for (const name of Object.keys(spec.inputs)) {
      if (known.includes(name)) continue;
      const near = known.find((k) => loose(k) === loose(name));
      const shown = name.length > 60 ? `${name.slice(0, 60)}…` : name;
      issues.push({
        path: [...path, 'inputs', name],
        message: `${def.id} reads no input named "${shown}"${near ? ` (did you mean "${near}"?)` : ''}; its inputs are ${known.join(', ') || 'none'}`,
      });
    }
  }
  if (def.id === EVALUATOR_SET_ID) {
    const members = (spec.settings as { evaluators?: SpecInputs[] } | undefined)?.evaluators ?? [];
    members.forEach((m, j) => issues.push(...inputNameIssues(m, [...path, 'settings', 'evaluators', j])));
  }
  return issues;
}

/** Whether evaluator `type` reads input `name`; true for types it does not know (the import's own checks name those). */
export function readsInput(type: string, name: string): boolean {
  const def = findEvaluator(type);
  return !def || def.anyInputs === true || def.requiredInputs.includes(name) || def.optionalInputs.includes(name);
}
