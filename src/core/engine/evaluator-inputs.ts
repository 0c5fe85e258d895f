// Resolves an evaluator's inputs for one cell (SPEC §4): explicit mappings first
// (`row.<column>`, `output`, `output.<path>`, `{value}`), then the defaults
// input ← row.input ?? row.question, output ← the target output,
// expected_output ← row.expected_output ?? row.expected, contexts ← row.contexts.
//
// The evaluators of a cell share one InputMemo (docs/decisions.md, "Hostile input"): an output
// string read by `output.<path>` is scanned and parsed once per cell, not once per evaluator, and
// a non-string value sent to string inputs is serialised once. Measured on 2026-12-05: a 7.5 MB
// output of `[[],[],…]` read by 10 evaluators held the main thread 7–11 s, and an answer of
// 190,000 small objects judged by 100 exact_match evaluators 3.6–28 s.
import { BODY_BOUNDS, jsonShape, type JsonShapeLimits } from '../json-scan.js';
import type { InputMapping, Row } from '../model/experiment.js';
import type { EvaluatorInputs } from '../model/results.js';

/**
 * Bounds on an output string parsed for `output.<path>`: those of a request body (app/json.ts).
 * Past them the text is not parsed, and the evaluation is skipped with the reason.
 */
export const OUTPUT_JSON_SHAPE: JsonShapeLimits = { maxDepth: 64, ...BODY_BOUNDS };

/** Thrown when a mapping cannot be read because the output's JSON is past OUTPUT_JSON_SHAPE; evaluate() records it as skipped. */
export class UnreadableInput extends Error {
  constructor(readonly details: string) {
    super(details);
    this.name = 'UnreadableInput';
  }
}

const NOT_READ = Symbol('not read');

/**
 * What the evaluators of one cell work out once and share: the output text parsed (or why it is
 * not) and the JSON text of values sent to string inputs, by identity. Made only when a cell needs
 * it: a cell of plain-string inputs and no `output.<path>` mapping makes none.
 */
export class InputMemo {
  private text: string | undefined;
  private parsed: unknown = NOT_READ;
  private problem: string | null = null;
  private strings: Map<object, string> | undefined;

  /** The value of JSON text, parsed once; undefined when it is not JSON. Throws UnreadableInput past the shape bounds. */
  parse(text: string): unknown {
    if (this.parsed === NOT_READ || this.text !== text) {
      this.text = text;
      this.problem = jsonShape(text, OUTPUT_JSON_SHAPE).problem;
      this.parsed = this.problem === null ? parseOrUndefined(text) : undefined;
    }
    if (this.problem !== null) throw new UnreadableInput(`the text is JSON with ${this.problem}, too large to parse for a path`);
    return this.parsed;
  }

  /** JSON text of an object or array, made once per value. */
  stringify(value: object): string {
    this.strings ??= new Map();
    let text = this.strings.get(value);
    if (text === undefined) {
      text = JSON.stringify(value);
      this.strings.set(value, text);
    }
    return text;
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Where a cell's memo lives: the subject its evaluators share. */
export interface MemoHolder {
  memo?: InputMemo | undefined;
}

function memoOf(holder: MemoHolder | undefined): InputMemo {
  if (!holder) return new InputMemo();
  return (holder.memo ??= new InputMemo());
}

function own(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

const LOOKS_LIKE_JSON = /^\s*[[{]/;

/**
 * Follows a dot path through own properties only (no prototype walks). A string that looks like
 * JSON is read as its value: scanned and parsed once per memo, and refused (UnreadableInput)
 * past OUTPUT_JSON_SHAPE.
 */
export function readPath(value: unknown, path: string, holder?: MemoHolder): unknown {
  let current = value;
  if (typeof current === 'string' && LOOKS_LIKE_JSON.test(current)) {
    current = memoOf(holder).parse(current);
    if (current === undefined) return undefined;
  }
  for (const part of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(part)) current = current[Number(part)];
    else current = own(current, part);
    if (current === undefined) return undefined;
  }
  return current;
}

export function resolveMapping(mapping: InputMapping, row: Row, output: unknown, holder?: MemoHolder): unknown {
  if (typeof mapping !== 'string') return mapping.value;
  if (mapping === 'output') return output;
  if (mapping.startsWith('output.')) return readPath(output, mapping.slice('output.'.length), holder);
  // row.<column>: a column name may itself contain dots; prefer the exact column.
  const column = mapping.slice('row.'.length);
  const exact = own(row, column);
  return exact !== undefined ? exact : readPath(row, column, holder);
}

/** JSON text of an object, made once per memo (the cell's: its evaluators share it). */
export function jsonOf(value: object, holder: MemoHolder): string {
  return memoOf(holder).stringify(value);
}

/** A non-string value sent to a string input becomes its JSON text; null and undefined stay. Objects are serialised once per memo. */
export function asStringInput(value: unknown, holder?: MemoHolder): unknown {
  if (value === null || value === undefined || typeof value === 'string') return value;
  if (typeof value === 'object' && holder) return memoOf(holder).stringify(value);
  return JSON.stringify(value);
}

/**
 * The inputs of one evaluator. Evaluators of the same cell pass the same `holder` (the cell's
 * subject), so what is costly to work out from the output and row is worked out once.
 */
export function resolveInputs(
  mappings: Record<string, InputMapping> | undefined,
  row: Row,
  output: unknown,
  stringInputs: readonly string[],
  holder?: MemoHolder,
): EvaluatorInputs {
  const inputs: EvaluatorInputs = {
    input: own(row, 'input') ?? own(row, 'question'),
    output,
    expected_output: own(row, 'expected_output') ?? own(row, 'expected'),
    contexts: own(row, 'contexts'),
  };
  if (mappings) {
    for (const [name, mapping] of Object.entries(mappings)) {
      try {
        inputs[name] = resolveMapping(mapping, row, output, holder);
      } catch (error) {
        if (error instanceof UnreadableInput) throw new UnreadableInput(`input ${name} (mapped from "${String(mapping)}") is not read: ${error.details}`);
        throw error;
      }
    }
  }
  for (const name of stringInputs) if (name in inputs) inputs[name] = asStringInput(inputs[name], holder);
  return inputs;
}
