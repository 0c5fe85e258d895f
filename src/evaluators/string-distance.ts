// Character-level string similarity between the output and expected_output: Levenshtein,
// Jaro-Winkler or Hamming, reported as a similarity in [0, 1] (1 = identical) with the raw
// distance in details. Strings are NFC-normalised and compared by code point, so "é" typed two
// ways, or an emoji, counts as one character.
import { distance as levenshtein } from 'fastest-levenshtein';
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult } from '../core/model/results.js';
import { missingInput, nfc, textInput } from './inputs.js';

/** Longest string compared: Levenshtein and Jaro-Winkler are quadratic in the worst case. */
export const MAX_CHARS = 20_000;
/**
 * Inline cap, both strings together: at MAX_CHARS a side Levenshtein takes ≈ 120 ms. At the
 * cap: 1.5 ms (median, bench/evaluator-caps.ts).
 */
const INLINE_CHARS = 4_000;

const METRICS = ['levenshtein', 'jaro_winkler', 'hamming'] as const;
type Metric = (typeof METRICS)[number];

const settings = z.object({
  metric: z.enum(METRICS).default('levenshtein').describe('levenshtein, jaro_winkler or hamming'),
  case_sensitive: z.boolean().default(false).describe('Compare letter case too'),
  trim_whitespace: z.boolean().default(true).describe('Ignore leading and trailing whitespace'),
});

/**
 * Both libraries index UTF-16 code units, so a character outside the BMP would count twice.
 * When one is present, every distinct code point is renamed to one code unit (at most 40,000
 * distinct ones fit easily in 16 bits); equal characters stay equal, so distances are unchanged.
 */
function codeUnits(a: string, b: string): [string, string] {
  if (!/[\uD800-\uDFFF]/.test(a + b)) return [a, b];
  const names = new Map<string, string>();
  const rename = (s: string): string =>
    Array.from(s, (ch) => {
      let name = names.get(ch);
      if (name === undefined) names.set(ch, (name = String.fromCharCode(names.size)));
      return name;
    }).join('');
  return [rename(a), rename(b)];
}

/** Mismatched positions, counting each character of the longer string past the shorter's end. */
export function hamming(a: string, b: string): number {
  const short = Math.min(a.length, b.length);
  let mismatches = Math.abs(a.length - b.length);
  for (let i = 0; i < short; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) mismatches++;
  return mismatches;
}

/**
 * Jaro-Winkler similarity (Winkler 1990: prefix scale 0.1, up to 4 characters, applied above
 * 0.7), with the same results as the `jaro-winkler` package. That package rescans the whole
 * match window for every character (≈2 ms on 1 KB); here each character keeps a cursor into its
 * positions in `b`, which works because a character's matches in `b` only move rightwards.
 */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const range = Math.floor(Math.max(a.length, b.length) / 2) - 1;
  const positions = new Map<number, number[]>();
  for (let j = 0; j < b.length; j++) {
    const list = positions.get(b.charCodeAt(j));
    if (list) list.push(j);
    else positions.set(b.charCodeAt(j), [j]);
  }
  const cursor = new Map<number, number>();
  const aMatched = new Uint8Array(a.length);
  const bMatched = new Uint8Array(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const code = a.charCodeAt(i);
    const list = positions.get(code);
    if (!list) continue;
    let k = cursor.get(code) ?? 0;
    while (k < list.length && list[k]! < i - range) k++;
    if (k < list.length && list[k]! <= i + range) {
      aMatched[i] = bMatched[list[k]!] = 1;
      m++;
      k++;
    }
    cursor.set(code, k);
  }
  if (m === 0) return 0;
  // Half the matched characters that appear in a different order in the two strings.
  let halfTranspositions = 0;
  for (let i = 0, j = 0; i < a.length; i++) {
    if (!aMatched[i]) continue;
    while (!bMatched[j]) j++;
    if (a.charCodeAt(i) !== b.charCodeAt(j++)) halfTranspositions++;
  }
  const jaro = (m / a.length + m / b.length + (m - halfTranspositions / 2) / m) / 3;
  if (jaro <= 0.7) return jaro;
  let prefix = 0;
  while (prefix < 4 && prefix < a.length && a[prefix] === b[prefix]) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/** Similarity in [0, 1] and how details describe it; a and b are non-empty code-unit strings. */
function compare(metric: Metric, a: string, b: string): { score: number; details: string } {
  const length = Math.max(a.length, b.length);
  switch (metric) {
    case 'levenshtein': {
      const d = levenshtein(a, b);
      return { score: 1 - d / length, details: `Levenshtein distance ${d} over ${length} characters` };
    }
    case 'hamming': {
      const d = hamming(a, b);
      const extra = a.length === b.length ? '' : ` (${Math.abs(a.length - b.length)} of them from the length difference)`;
      return { score: 1 - d / length, details: `Hamming distance ${d} over ${length} characters${extra}` };
    }
    case 'jaro_winkler': {
      const score = jaroWinkler(a, b);
      return { score, details: `Jaro-Winkler distance ${(1 - score).toFixed(4)}` };
    }
  }
}

/** `string_distance` / `levenshtein`: normalised edit similarity of output and expected_output. */
export const stringDistance: EvaluatorDefinition<typeof settings> = {
  id: 'string_distance',
  aliases: ['levenshtein'],
  name: 'String Distance',
  category: 'similarity',
  description:
    'Character-level similarity of the output to expected_output, 0–1: levenshtein (1 − edits / longer length), ' +
    'jaro_winkler, or hamming (1 − mismatched positions / longer length; extra length counts as mismatches).',
  requiredInputs: ['output', 'expected_output'],
  optionalInputs: [],
  stringInputs: ['output', 'expected_output'],
  settings,
  result: ['score'],
  needsModel: false,
  inlineChars: () => INLINE_CHARS,
  create(s) {
    const prepare = (text: string): string => {
      let out = nfc(text);
      if (s.trim_whitespace) out = out.trim();
      return s.case_sensitive ? out : out.toLowerCase();
    };
    const check = (name: 'output' | 'expected_output', text: string): EvaluationResult | undefined => {
      if (text === '') return { status: 'skipped', details: `${name} is empty${s.trim_whitespace ? ' (after trimming whitespace)' : ''}: there is nothing to compare` };
      if (text.length > MAX_CHARS) return { status: 'skipped', details: `${name} is ${text.length} characters; string_distance compares at most ${MAX_CHARS}` };
      return undefined;
    };
    return {
      async evaluate(inputs): Promise<EvaluationResult> {
        const rawOutput = textInput(inputs.output);
        if (rawOutput === undefined) return missingInput('output');
        const rawExpected = textInput(inputs.expected_output);
        if (rawExpected === undefined) return missingInput('expected_output');
        const output = prepare(rawOutput);
        const expected = prepare(rawExpected);
        const refused = check('output', output) ?? check('expected_output', expected);
        if (refused) return refused;
        const [a, b] = codeUnits(output, expected);
        const { score, details } = compare(s.metric, a, b);
        return { status: 'processed', score, details: `${details}: similarity ${score.toFixed(4)}` };
      },
    };
  },
};
