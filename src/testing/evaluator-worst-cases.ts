// The costliest inputs found for each offline evaluator family, by size: the figures behind
// each family's `inlineChars` (bench/evaluator-caps.ts times them at the cap) and the attacks
// of the stall tests (test/security/evaluator-stalls.test.ts sends them at the size limit as a
// target's output). Each generator is JavaScript source, `(n) => inputs` of about n characters,
// so a code target can build the same inputs inside the sandbox and return them as its output.
// Structured inputs are JSON text, as a model's output is text (every family here reads JSON
// text as well as values): 10 MB of small JSON values as an output object cost the main thread
// its parse before any evaluator runs, which is the target's cost, not the evaluator's.
// Found by timing candidates per family (nested emphasis, unordered nested lists, many matches
// of overlapping PII patterns…); where a family has settings that change its cost, the costliest
// settings are used.
import type { EvaluatorInputs } from '../core/model/results.js';

export interface WorstCase {
  /** Test and bench label: the family, and the variant when a family has several costs. */
  name: string;
  /** Evaluator type and settings. */
  type: string;
  settings: Record<string, unknown>;
  /** JavaScript source of `(n) => inputs`, inputs totalling about n characters. */
  source: string;
  /**
   * The largest n worth sending: the 10 MB output limit (9.5 M, leaving room for the JSON of
   * the inputs object), or below it where the family stops reading (it skips larger inputs).
   */
  limit: number;
}

/** `words(n)`: about n characters of distinct words, as source to paste into a generator. */
const WORDS = `(m) => { let s = ''; for (let i = 0; s.length < m; i++) s += 'w' + ((i * 7919) % 100000) + ' '; return s.slice(0, m); }`;
const OUTPUT_LIMIT = 9_500_000;

export const WORST_CASES: WorstCase[] = [
  {
    name: 'exact_match',
    type: 'exact_match',
    settings: {},
    // NFC normalisation, punctuation removal and lower-casing of both sides, which differ at the end.
    source: `(n) => ({ output: 'A\\u0308!'.repeat(n / 6), expected_output: 'A\\u0308!'.repeat(n / 6) + 'x' })`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'text_rules',
    type: 'text_rules',
    // 100 substring rules of 10,000 characters (the settings' maxima), all almost matching.
    settings: { rules: Array.from({ length: 100 }, (_, i) => ({ field: 'output', rule: 'contains', value: `${'a'.repeat(9_990)}${i}` })) },
    source: `(n) => ({ output: 'a'.repeat(n) })`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'text_rules regex',
    type: 'text_rules',
    // The slowest RE2 matching found per unit of the work budget: a nested repeat that matches
    // the whole text, with its match extracted for the details.
    settings: { rules: Array.from({ length: 10 }, () => ({ field: 'output', rule: 'not_matches_regex', value: '(a+)+$' })) },
    source: `(n) => ({ output: 'a'.repeat(n) })`,
    // Longer text is refused up front by the rules' work budget (safe-regex.ts): 10 rules of
    // (8 + 30) units a character stay within its 30 M units up to 78,947 characters.
    limit: 78_000,
  },
  {
    name: 'competitor_blocklist',
    type: 'competitor_blocklist',
    // 1,000 names (the maximum) of 150+ characters, each tried on the whole text.
    settings: { competitors: Array.from({ length: 1_000 }, (_, i) => `${'a'.repeat(150)}${i}`) },
    source: `(n) => ({ output: 'a'.repeat(n) })`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'valid_format json',
    type: 'valid_format',
    settings: { format: 'json' },
    source: `(n) => ({ output: '[' + '{"a":1},'.repeat(n / 8 - 1) + '{}]' })`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'valid_format json_schema',
    type: 'valid_format',
    // ajv's uniqueItems compares every pair of non-scalar items.
    settings: { format: 'json', json_schema: { type: 'array', uniqueItems: true } },
    source: `(n) => ({ output: JSON.stringify(Array.from({ length: n / 10 }, (_, i) => ({ a: i }))) })`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'valid_format markdown',
    type: 'valid_format',
    settings: { format: 'markdown' },
    // Unclosed emphasis delimiters: marked rescans the rest of the line for each one.
    source: `(n) => ({ output: '_a'.repeat(n / 2) })`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'valid_format python',
    type: 'valid_format',
    settings: { format: 'python' },
    source: `(n) => ({ output: 'x = 1\\n'.repeat(n / 6) })`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'valid_format sql',
    type: 'valid_format',
    settings: { format: 'sql' },
    source: `(n) => ({ output: 'SELECT ' + 'a + '.repeat(n / 4) + '1' })`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'valid_format xml',
    type: 'valid_format',
    settings: { format: 'xml' },
    source: `(n) => ({ output: '<a ' + Array.from({ length: n / 9 }, (_, i) => 'b' + i + '="1"').join(' ') + '/>' })`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'valid_format html',
    type: 'valid_format',
    settings: { format: 'html' },
    // Formatting elements reopened in every paragraph (the adoption agency algorithm).
    source: `(n) => ({ output: '<b><p>'.repeat(n / 6) })`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'valid_format yaml',
    type: 'valid_format',
    settings: { format: 'yaml' },
    // uniqueKeys compares each key with those before it.
    source: `(n) => ({ output: Array.from({ length: n / 9 }, (_, i) => 'k' + i + ': v\\n').join('') })`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'json_compare',
    type: 'json_compare',
    // Unordered lists of lists: every pair of outer items compares its inner lists pairwise.
    settings: { list_matching: 'unordered' },
    source: `(n) => { const k = Math.max(2, Math.floor(Math.sqrt(n / 8))); const v = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => i * k + j)); return { output: JSON.stringify(v), expected_output: JSON.stringify([...v].reverse()) }; }`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'tool_calls',
    type: 'tool_calls',
    // Unordered exact matching: every expected call against every actual one.
    settings: { check: 'exact' },
    source: `(n) => { const calls = Array.from({ length: n / 60 }, (_, i) => ({ name: 'f', arguments: { a: i, b: 'xxxxxxxx' } })); return { output: JSON.stringify(calls), expected_output: JSON.stringify([...calls].reverse()) }; }`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'string_distance',
    type: 'string_distance',
    settings: { metric: 'levenshtein' },
    source: `(n) => { const words = ${WORDS}; const a = words(n / 2); return { output: a, expected_output: a.split('').reverse().join('') }; }`,
    // It compares at most 20,000 characters a side (longer inputs are skipped).
    limit: 40_000,
  },
  {
    name: 'text_similarity',
    type: 'text_similarity',
    // ROUGE-L's longest common subsequence over one repeated token.
    settings: { metric: 'rougeL' },
    source: `(n) => ({ output: 'a '.repeat(n / 4), expected_output: 'a '.repeat(n / 4) })`,
    // At most 20,000 characters of output are compared.
    limit: 40_000,
  },
  {
    name: 'language_detection',
    type: 'language_detection',
    settings: { check_for: 'input_matches_output' },
    source: `(n) => ({ input: 'bonjour le monde '.repeat(n / 34), output: 'hello world again '.repeat(n / 36) })`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'pii_detection',
    type: 'pii_detection',
    // Overlapping candidates: every address is also tried as other entities.
    settings: {},
    source: `(n) => ({ output: '10.0.0.1 '.repeat(n / 9) })`,
    // It reads at most 512 KiB.
    limit: 524_000,
  },
  {
    name: 'secrets_detection',
    type: 'secrets_detection',
    settings: {},
    // Password-assignment look-alikes: each one starts a value match that runs to the next name
    // (2.8 ms at the 50,000 cap, against 2.2 ms for 'ghp_' repeated, the costliest before).
    source: `(n) => ({ output: 'x_password=aB3'.repeat(Math.floor(n / 14)) })`,
    // It reads at most 1 MiB.
    limit: 1_048_000,
  },
  {
    name: 'context metrics',
    type: 'nonllm_context_precision',
    // Many short contexts: every retrieved one is measured against every expected one.
    settings: { distance_measure: 'levenshtein' },
    source: `(n) => { const k = Math.floor(n / 24); return { contexts: JSON.stringify(Array.from({ length: k }, (_, i) => 'ctx' + i)), expected_contexts: JSON.stringify(Array.from({ length: k }, (_, i) => 'exp' + i)) }; }`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'context metrics jaro',
    type: 'nonllm_context_recall',
    settings: { distance_measure: 'jaro_winkler' },
    source: `(n) => { const words = ${WORDS}; const a = words(n / 2); return { contexts: JSON.stringify([a]), expected_contexts: JSON.stringify([a.split('').reverse().join('')]) }; }`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'context metrics id',
    type: 'nonllm_context_recall',
    settings: { mode: 'id' },
    source: `(n) => { const k = Math.floor(n / 16); return { contexts: JSON.stringify(Array.from({ length: k }, (_, i) => 'c' + i)), expected_contexts: JSON.stringify(Array.from({ length: k }, (_, i) => 'e' + i)) }; }`,
    limit: OUTPUT_LIMIT,
  },
  {
    name: 'run_budget',
    type: 'run_budget',
    settings: { max_words: 10, min_words: 1, max_chars: 5 },
    source: `(n) => ({ output: 'a '.repeat(n / 2) })`,
    limit: OUTPUT_LIMIT,
  },
];

/** The generator of a case, compiled in this process. */
export function generator(c: WorstCase): (n: number) => EvaluatorInputs {
  return new Function(`return ${c.source}`)() as (n: number) => EvaluatorInputs;
}
