// Retrieval metrics: context precision (are the relevant contexts ranked first?), context
// recall (was everything needed retrieved?) and their F1, each in three modes:
// - llm: a model judges each context's relevance, or which of expected_output's statements
//   the contexts hold (LangWatch's ragas/response_context_*; the judging is in ./rag.ts);
// - string: contexts are matched to expected_contexts by string similarity, as ragas'
//   NonLLMContextPrecisionWithReference / NonLLMContextRecall do (LangWatch's ragas/context_*);
// - id: contexts and expected_contexts are document ids, matched exactly.
// A definition cannot tell which alias named it, so the LLM and non-LLM LangWatch ids are two
// definitions per metric sharing this code, differing in their default mode.
import { distance as levenshtein } from 'fastest-levenshtein';
import { createRequire } from 'node:module';
import { z } from 'zod';
import type { EvaluatorDefinition, EvaluatorDeps } from '../core/model/adapters.js';
import type { EvaluationResult, EvaluatorInputs, EvaluatorInstance } from '../core/model/results.js';
import { missingInput } from './inputs.js';
import { llmContextPrecision, llmContextRecall } from './rag.js';
import { averagePrecision, contextTexts, listItems, ragasMaxTokensSetting, ragasModelSetting, ranks } from './rag-prompts.js';

// jaro-winkler is CommonJS without types: (a, b) → Jaro-Winkler similarity, case-sensitive.
const jaroWinkler = createRequire(import.meta.url)('jaro-winkler') as (a: string, b: string) => number;

export type Measure = 'levenshtein' | 'hamming' | 'jaro' | 'jaro_winkler';

/**
 * Similarity = 1 − normalised distance, as ragas' NonLLMStringSimilarity computes it with
 * rapidfuzz: Levenshtein and Hamming (shorter string padded) are divided by the longer length;
 * two empty strings are identical.
 */
const SIMILARITY: Record<Measure, (a: string, b: string) => number> = {
  levenshtein: (a, b) => (a === b ? 1 : 1 - levenshtein(a, b) / Math.max(a.length, b.length)),
  hamming(a, b) {
    if (a === b) return 1;
    let d = Math.abs(a.length - b.length);
    for (let i = Math.min(a.length, b.length) - 1; i >= 0; i--) if (a[i] !== b[i]) d++;
    return 1 - d / Math.max(a.length, b.length);
  },
  jaro_winkler: (a, b) => (a === b ? 1 : jaroWinkler(a, b)),
  // The package only gives Jaro-Winkler, which is Jaro boosted by 0.1 per common prefix
  // character (up to 4) when Jaro exceeds 0.7; undoing that boost gives Jaro back exactly.
  jaro(a, b) {
    if (a === b) return 1;
    const jw = jaroWinkler(a, b);
    if (jw <= 0.7) return jw;
    let prefix = 0;
    while (prefix < 4 && prefix < a.length && a[prefix] === b[prefix]) prefix++;
    return (jw - prefix * 0.1) / (1 - prefix * 0.1);
  },
};

/** One measure's similarity of two strings, 0–1. */
export const stringSimilarity = (measure: Measure, a: string, b: string): number => SIMILARITY[measure](a, b);

/**
 * An upper bound of the similarity from the lengths alone: edit and Hamming distances are at
 * least the length difference; Jaro matches at most the shorter length (Winkler's boost then
 * adds at most 0.4 of the rest). It lets pairs that cannot match go unmeasured.
 */
function lengthBound(measure: Measure, a: string, b: string): number {
  const [short, long] = a.length < b.length ? [a.length, b.length] : [b.length, a.length];
  if (long === 0) return 1;
  if (measure === 'levenshtein' || measure === 'hamming') return short / long;
  if (short === 0) return 0;
  const jaro = (1 + short / long + 1) / 3;
  return measure === 'jaro_winkler' && jaro > 0.7 ? jaro + 0.4 * (1 - jaro) : jaro;
}

interface Match {
  precision: number;
  recall: number;
  /** What precision and recall counted, for `details`. */
  why: { precision: string; recall: string };
}

/**
 * ragas' rule: a retrieved context is relevant when its best similarity to an expected one is
 * at least the threshold; an expected context is recalled when its best match is above it
 * (ragas keeps `>=` for precision and `>` for recall, and so do we, to give the same scores).
 */
function stringMatch(retrieved: string[], expected: string[], measure: Measure, threshold: number): Match {
  const similarity = SIMILARITY[measure];
  const relevant = retrieved.map(() => false);
  const recalled = expected.map(() => false);
  // Only these flags are reported, so a pair is measured only while it can still change one:
  // not once its row and column are both settled, nor when its lengths rule a match out.
  retrieved.forEach((r, i) =>
    expected.forEach((e, j) => {
      // (1e-12: the bound and the similarity may round differently at equality.)
      if ((relevant[i] && recalled[j]) || lengthBound(measure, r, e) < threshold - 1e-12) return;
      const sim = similarity(r, e);
      if (sim >= threshold) relevant[i] = true;
      if (sim > threshold) recalled[j] = true;
    }),
  );
  const found = recalled.filter(Boolean).length;
  return {
    precision: averagePrecision(relevant),
    recall: found / expected.length,
    why: {
      precision: `retrieved contexts with ${measure} similarity ≥ ${threshold} to an expected context: ${ranks(relevant)} of ${retrieved.length}`,
      recall: `${found} of ${expected.length} expected contexts have a retrieved context with ${measure} similarity > ${threshold}`,
    },
  };
}

/** Ids match exactly; a retrieved id is relevant each time it appears (chunks of one document). */
function idMatch(retrieved: string[], expected: string[]): Match {
  const wanted = new Set(expected);
  const relevant = retrieved.map((id) => wanted.has(id));
  const found = [...wanted].filter((id) => retrieved.includes(id));
  return {
    precision: averagePrecision(relevant),
    recall: found.length / wanted.size,
    why: {
      precision: `retrieved ids among the expected ones: ${ranks(relevant)} of ${retrieved.length}`,
      recall: `${found.length} of ${wanted.size} expected ids were retrieved`,
    },
  };
}

/** An id: a string or number, or an object's `id` (or LangWatch's `document_id`). */
function idOf(item: unknown): string | undefined {
  if (typeof item === 'string' || typeof item === 'number') return String(item);
  if (typeof item !== 'object' || item === null) return undefined;
  const { id, document_id } = item as { id?: unknown; document_id?: unknown };
  const found = id ?? document_id;
  return typeof found === 'string' || typeof found === 'number' ? String(found) : undefined;
}

type Metric = 'precision' | 'recall' | 'f1';

interface OfflineSettings {
  mode: 'string' | 'id';
  distance_measure: Measure;
  similarity_threshold: number;
}

/** The list under `name` read for the mode, or the result that ends the evaluation. */
function readList(name: 'contexts' | 'expected_contexts', value: unknown, mode: 'string' | 'id'): string[] | EvaluationResult {
  if (mode === 'string') return contextTexts(value) ?? missingInput(name);
  const items = listItems(value);
  if (items === undefined) return missingInput(name);
  const ids = items.map(idOf);
  const bad = ids.findIndex((id) => id === undefined);
  if (bad >= 0) {
    return { status: 'skipped', details: `${name} item ${bad + 1} is not an id: in id mode give ids (strings or numbers) or objects with an "id"` };
  }
  return ids as string[];
}

function offline(metric: Metric, s: OfflineSettings, inputs: EvaluatorInputs): EvaluationResult {
  const retrieved = readList('contexts', inputs.contexts, s.mode);
  if (!Array.isArray(retrieved)) return retrieved;
  const expected = readList('expected_contexts', inputs.expected_contexts, s.mode);
  if (!Array.isArray(expected)) return expected;
  if (expected.length === 0) return { status: 'skipped', details: 'expected_contexts is empty: there is nothing to compare the retrieved contexts with' };
  const m = s.mode === 'id' ? idMatch(retrieved, expected) : stringMatch(retrieved, expected, s.distance_measure, s.similarity_threshold);
  if (metric === 'precision') return { status: 'processed', score: m.precision, details: `${m.why.precision}; average precision ${m.precision.toFixed(3)}` };
  if (metric === 'recall') return { status: 'processed', score: m.recall, details: m.why.recall };
  const f1 = m.precision + m.recall === 0 ? 0 : (2 * m.precision * m.recall) / (m.precision + m.recall);
  return {
    status: 'processed',
    score: f1,
    details: `precision ${m.precision.toFixed(3)} (${m.why.precision}), recall ${m.recall.toFixed(3)} (${m.why.recall})`,
  };
}

const distanceSetting = z
  .enum(['levenshtein', 'hamming', 'jaro', 'jaro_winkler'])
  .default('levenshtein')
  .describe('String similarity used in string mode (1 − normalised distance)');
const thresholdSetting = z.number().min(0).max(1).default(0.5).describe('Similarity from which a retrieved and an expected context match (string mode)');

const withLlm = z.object({
  mode: z.enum(['llm', 'string', 'id']).default('llm').describe('llm: a model judges; string: match expected_contexts by similarity; id: match expected_contexts ids'),
  model: ragasModelSetting,
  max_tokens: ragasMaxTokensSetting,
  distance_measure: distanceSetting,
  similarity_threshold: thresholdSetting,
});
const withoutLlm = z.object({
  mode: z.enum(['string', 'id']).default('string').describe('string: match expected_contexts by similarity; id: match expected_contexts ids'),
  distance_measure: distanceSetting,
  similarity_threshold: thresholdSetting,
});

function modal(metric: 'precision' | 'recall', s: z.output<typeof withLlm>, deps: EvaluatorDeps): EvaluatorInstance {
  const judge = metric === 'precision' ? llmContextPrecision : llmContextRecall;
  return {
    evaluate: async (inputs, context) => (s.mode === 'llm' ? judge(s, deps, inputs, context) : offline(metric, { ...s, mode: s.mode }, inputs)),
  };
}

const offlineInstance = (metric: Metric, s: OfflineSettings): EvaluatorInstance => ({ evaluate: async (inputs) => offline(metric, s, inputs) });

const STRING_INPUTS = ['input', 'output', 'expected_output'];

/**
 * Inline caps of the offline modes, contexts and expected_contexts together: string mode
 * measures every retrieved context against every expected one (many short contexts: 28 KB took
 * 140 ms; one Jaro-Winkler pair of 15,000 characters 180 ms), id mode looks each expected id up
 * in the retrieved list (250 KB: 410 ms). LLM mode calls a model and stays inline. At the caps: 0.7 ms (string; one Jaro-Winkler pair 1.9 ms), 0.6 ms (id)
 * (median, bench/evaluator-caps.ts).
 */
function offlineInlineChars(s: { mode: 'llm' | 'string' | 'id' }): number {
  if (s.mode === 'llm') return Number.POSITIVE_INFINITY;
  return s.mode === 'id' ? 10_000 : 3_000;
}
const OFFLINE_NOTE = 'Modes string and id compare contexts with expected_contexts instead (no model).';

/** `context_precision` / `ragas/response_context_precision`: LLM mode by default. */
export const contextPrecision: EvaluatorDefinition<typeof withLlm> = {
  id: 'context_precision',
  aliases: ['ragas/response_context_precision'],
  name: 'Context Precision',
  category: 'rag',
  description: `Whether the retrieved contexts that matter come first: an LLM judges each context's relevance to expected_output (or output), scored by average precision. ${OFFLINE_NOTE}`,
  requiredInputs: ['input', 'contexts'],
  optionalInputs: ['output', 'expected_output', 'expected_contexts'],
  stringInputs: STRING_INPUTS,
  settings: withLlm,
  result: ['score'],
  needsModel: true,
  inlineChars: offlineInlineChars,
  create: (s, deps) => modal('precision', s, deps),
};

/** `context_recall` / `ragas/response_context_recall`: LLM mode by default. */
export const contextRecall: EvaluatorDefinition<typeof withLlm> = {
  id: 'context_recall',
  aliases: ['ragas/response_context_recall', 'context-recall'],
  name: 'Context Recall',
  category: 'rag',
  description: `Whether the retrieved contexts hold everything needed: an LLM finds the share of expected_output's statements that the contexts contain. ${OFFLINE_NOTE}`,
  requiredInputs: ['input', 'contexts', 'expected_output'],
  optionalInputs: ['expected_contexts'],
  stringInputs: STRING_INPUTS,
  settings: withLlm,
  result: ['score'],
  needsModel: true,
  inlineChars: offlineInlineChars,
  create: (s, deps) => modal('recall', s, deps),
};

/** `nonllm_context_precision` / `ragas/context_precision`: string mode by default. */
export const nonLlmContextPrecision: EvaluatorDefinition<typeof withoutLlm> = {
  id: 'nonllm_context_precision',
  aliases: ['ragas/context_precision'],
  name: 'Context Precision (no LLM)',
  category: 'rag',
  description:
    'Average precision of the retrieved contexts, a context counting as relevant when it matches one of expected_contexts by string similarity (or by id in id mode).',
  requiredInputs: ['contexts', 'expected_contexts'],
  optionalInputs: [],
  stringInputs: [],
  settings: withoutLlm,
  result: ['score'],
  needsModel: false,
  inlineChars: offlineInlineChars,
  create: (s) => offlineInstance('precision', s),
};

/** `nonllm_context_recall` / `ragas/context_recall`: string mode by default. */
export const nonLlmContextRecall: EvaluatorDefinition<typeof withoutLlm> = {
  id: 'nonllm_context_recall',
  aliases: ['ragas/context_recall'],
  name: 'Context Recall (no LLM)',
  category: 'rag',
  description: 'The share of expected_contexts matched by a retrieved context, by string similarity (or by id in id mode).',
  requiredInputs: ['contexts', 'expected_contexts'],
  optionalInputs: [],
  stringInputs: [],
  settings: withoutLlm,
  result: ['score'],
  needsModel: false,
  inlineChars: offlineInlineChars,
  create: (s) => offlineInstance('recall', s),
};

/** `context_f1` / `ragas/context_f1`: harmonic mean of the non-LLM precision and recall. */
export const contextF1: EvaluatorDefinition<typeof withoutLlm> = {
  id: 'context_f1',
  aliases: ['ragas/context_f1'],
  name: 'Context F1',
  category: 'rag',
  description: 'The harmonic mean of context precision and recall against expected_contexts, matched by string similarity (or by id in id mode); no model.',
  requiredInputs: ['contexts', 'expected_contexts'],
  optionalInputs: [],
  stringInputs: [],
  settings: withoutLlm,
  result: ['score'],
  needsModel: false,
  inlineChars: offlineInlineChars,
  create: (s) => offlineInstance('f1', s),
};
