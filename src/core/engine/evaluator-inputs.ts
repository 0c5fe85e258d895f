// Resolves an evaluator's inputs for one cell (SPEC §4): explicit mappings first
// (`row.<column>`, `output`, `output.<path>`, `{value}`), then the defaults
// input ← row.input ?? row.question, output ← the target output,
// expected_output ← row.expected_output ?? row.expected, contexts ← row.contexts.
import type { InputMapping, Row } from '../model/experiment.js';
import type { EvaluatorInputs } from '../model/results.js';

function own(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Follows a dot path through own properties only (no prototype walks). */
export function readPath(value: unknown, path: string): unknown {
  let current = value;
  if (typeof current === 'string' && /^\s*[[{]/.test(current)) {
    try {
      current = JSON.parse(current);
    } catch {
      return undefined;
    }
  }
  for (const part of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(part)) current = current[Number(part)];
    else current = own(current, part);
    if (current === undefined) return undefined;
  }
  return current;
}

export function resolveMapping(mapping: InputMapping, row: Row, output: unknown): unknown {
  if (typeof mapping !== 'string') return mapping.value;
  if (mapping === 'output') return output;
  if (mapping.startsWith('output.')) return readPath(output, mapping.slice('output.'.length));
  // row.<column>: a column name may itself contain dots; prefer the exact column.
  const column = mapping.slice('row.'.length);
  const exact = own(row, column);
  return exact !== undefined ? exact : readPath(row, column);
}

/** A non-string value sent to a string input becomes its JSON text; null and undefined stay. */
export function asStringInput(value: unknown): unknown {
  if (value === null || value === undefined || typeof value === 'string') return value;
  return JSON.stringify(value);
}

export function resolveInputs(
  mappings: Record<string, InputMapping> | undefined,
  row: Row,
  output: unknown,
  stringInputs: readonly string[],
): EvaluatorInputs {
  const inputs: EvaluatorInputs = {
    input: own(row, 'input') ?? own(row, 'question'),
    output,
    expected_output: own(row, 'expected_output') ?? own(row, 'expected'),
    contexts: own(row, 'contexts'),
  };
  for (const [name, mapping] of Object.entries(mappings ?? {})) inputs[name] = resolveMapping(mapping, row, output);
  for (const name of stringInputs) if (name in inputs) inputs[name] = asStringInput(inputs[name]);
  return inputs;
}
