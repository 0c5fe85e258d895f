// Exact match, with LangWatch's three-stage comparison (reference §2.4): numbers compare as
// numbers, then JSON values compare with JavaScript-style loose equality (so an upstream
// `passed: true` matches a golden label "1"), and only then are the strings normalised.
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult } from '../core/model/results.js';
import { missingInput, nfc, textInput } from './inputs.js';

const settings = z.object({
  case_sensitive: z.boolean().default(false).describe('Compare letter case too'),
  trim_whitespace: z.boolean().default(true).describe('Ignore leading and trailing whitespace'),
  remove_punctuation: z.boolean().default(true).describe('Ignore Unicode punctuation and symbols'),
});
type Settings = z.output<typeof settings>;

/** Decimal numbers as Python's float() reads them (LangWatch's short-circuit), plus ±inf. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;

/** The number a string spells, or undefined. NaN is left out on purpose: it never equals. */
function asNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (DECIMAL.test(trimmed)) return Number(trimmed);
  const inf = INFINITY.exec(trimmed);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  return undefined;
}

type Primitive = string | number | boolean | null;

const LOOKS_PRIMITIVE = /^\s*(-|\d|"|true\s*$|false\s*$|null\s*$)/;

/** The JSON primitive a string encodes; objects, arrays and non-JSON stay the raw string. */
function decode(text: string): Primitive {
  // Only text that can be a JSON primitive is parsed: a failed JSON.parse throws, and
  // throwing on every ordinary answer is the evaluator's main cost.
  if (!LOOKS_PRIMITIVE.test(text)) return text;
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  } catch {
    // Not JSON: compared as the raw string.
  }
  return text;
}

/**
 * JavaScript's `==` restricted to JSON primitives. Mixed types compare as numbers (booleans
 * are 0/1), but unlike JS an empty string is not 0 and hex/octal strings are not numbers:
 * those coercions would make empty outputs match "0" and similar false positives.
 */
function looseEquals(a: Primitive, b: Primitive): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === typeof b) return a === b;
  const toNumber = (v: string | number | boolean): number =>
    typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : (asNumber(v) ?? Number.NaN);
  return toNumber(a) === toNumber(b);
}

const PUNCTUATION = /[\p{P}\p{S}]/gu;

function normalise(text: string, s: Settings): string {
  let out = nfc(text);
  if (s.trim_whitespace) out = out.trim();
  if (s.remove_punctuation) {
    out = out.replace(PUNCTUATION, '');
    // "Paris ." would otherwise keep the space the removed dot left behind.
    if (s.trim_whitespace) out = out.trim();
  }
  if (!s.case_sensitive) out = out.toLowerCase();
  return out;
}

/** True when `output` matches `expected` under the three stages. Exported for tests. */
export function exactlyMatches(output: string, expected: string, s: Settings): boolean {
  const a = asNumber(output);
  const b = asNumber(expected);
  if (a !== undefined && b !== undefined) return a === b;
  if (looseEquals(decode(output), decode(expected))) return true;
  return normalise(output, s) === normalise(expected, s);
}

/**
 * Inline cap (docs/decisions.md, "Evaluators off the main thread"): linear, but normalising
 * (NFC, punctuation, case) costs ≈ 47 ns a character: 10 MB of output took 470 ms. At the cap: 1.7 ms (median, bench/evaluator-caps.ts).
 */
const INLINE_CHARS = 100_000;

/** `exact_match` / `langevals/exact_match`: passed only (LangWatch reports no score). */
export const exactMatch: EvaluatorDefinition<typeof settings> = {
  id: 'exact_match',
  aliases: ['langevals/exact_match'],
  name: 'Exact Match',
  category: 'quality',
  description:
    'Passes when output equals expected_output. Numbers compare as numbers ("1.50" = "1.5"), booleans match ' +
    'their numeric and text forms (true = "1" = "true"), then text is compared after optional trimming, ' +
    'punctuation removal and lower-casing.',
  requiredInputs: ['output', 'expected_output'],
  optionalInputs: [],
  stringInputs: ['output', 'expected_output'],
  settings,
  result: ['passed'],
  needsModel: false,
  inlineChars: () => INLINE_CHARS,
  create(s) {
    return {
      async evaluate(inputs): Promise<EvaluationResult> {
        const output = textInput(inputs.output);
        if (output === undefined) return missingInput('output');
        const expected = textInput(inputs.expected_output);
        if (expected === undefined) return missingInput('expected_output');
        return { status: 'processed', passed: exactlyMatches(output, expected, s) };
      },
    };
  },
};
