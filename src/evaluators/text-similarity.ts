// Reference-based n-gram metrics: one `text_similarity` evaluator with a `metric` setting (as
// OpenAI's text_similarity grader has), plus LangWatch's two Ragas ids, which run the same code
// with the settings Ragas uses. The metric functions live in ./ngram-metrics.ts.
//
// Tokenisation (text_similarity): lower-cased unless case_sensitive, then runs of Unicode
// letters/digits; punctuation is dropped. For ASCII text that is rouge-score's tokeniser, and
// on pre-split word lists it reproduces NLTK's BLEU/GLEU/METEOR. token_f1 normalises as the
// SQuAD v1.1 script does; chrF works on characters with whitespace removed (sacreBLEU).
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult, EvaluatorInputs } from '../core/model/results.js';
import { missingInput, textInput } from './inputs.js';
import {
  BLEU_SMOOTHINGS,
  type BleuSmoothing,
  type Prf,
  bleuFromStatistics,
  bleuStatistics,
  chrfFromStatistics,
  chrfStatistics,
  gleu,
  meteor,
  rougeL,
  rougeN,
  rougeTokens,
  squadTokens,
  tokenF1,
  tokenize13a,
  wordTokens,
} from './ngram-metrics.js';

/** Longest text compared: n-gram metrics are for answers, and ROUGE-L/METEOR are quadratic. */
export const MAX_TEXT_CHARS = 20_000;
/** Most reference text in one call: every metric is at least linear in it. */
export const MAX_REFERENCE_CHARS = 100_000;
const MAX_REFERENCES = 50;
/**
 * Inline cap, output and references together: ROUGE-L (an LCS table) and METEOR's alignment are
 * quadratic; at the limits above ROUGE-L takes ≈ 240 ms. At the cap: 2.6 ms (median, bench/evaluator-caps.ts).
 */
const INLINE_CHARS = 4_000;

const METRICS = ['bleu', 'gleu', 'rouge1', 'rouge2', 'rougeL', 'meteor', 'chrf', 'token_f1'] as const;
type Metric = (typeof METRICS)[number];
const MEASURES = ['fmeasure', 'precision', 'recall'] as const;
type Measure = (typeof MEASURES)[number];

const fmt = (x: number): string => x.toFixed(4);

/** A metric bound to its settings: the score and a sentence saying where it came from. */
type Scorer = (output: string, refs: string[]) => { score: number; details: string };

/** "(best of 3 references: #2)" when there was a choice, else nothing. */
const bestOf = (refs: unknown[], index: number): string => (refs.length > 1 ? ` (best of ${refs.length} references: #${index + 1})` : '');

/** Runs a per-reference metric on every reference and keeps the best by `rank`. */
function best<T>(refs: string[], run: (ref: string) => T, rank: (r: T) => number): { result: T; index: number } {
  let top = { result: run(refs[0]!), index: 0 };
  for (let i = 1; i < refs.length; i++) {
    const result = run(refs[i]!);
    if (rank(result) > rank(top.result)) top = { result, index: i };
  }
  return top;
}

function bleuDetails(output: string[], refs: string[][], smoothing: BleuSmoothing, style: 'nltk' | 'sacrebleu'): { score: number; details: string } {
  const stats = bleuStatistics(output, refs);
  const r = bleuFromStatistics(stats, smoothing, style);
  const details =
    `BLEU ${fmt(r.score)}: n-gram precisions ${r.precisions.map(fmt).join('/')} ` +
    `(matched ${stats.matches.join('/')} of ${stats.totals.join('/')}), brevity penalty ${fmt(r.brevityPenalty)} ` +
    `(output ${stats.hypLength} tokens, closest reference ${stats.refLength}), smoothing ${smoothing}` +
    (style === 'sacrebleu' ? ', sacreBLEU 13a tokens' : '');
  return { score: r.score, details };
}

function rougeDetails(label: string, prf: Prf, measure: Measure, suffix: string): { score: number; details: string } {
  return {
    score: prf[measure],
    details: `${label} ${measure} ${fmt(prf[measure])} (precision ${fmt(prf.precision)}, recall ${fmt(prf.recall)}, F1 ${fmt(prf.fmeasure)})${suffix}`,
  };
}

function rougeScorer(kind: 'rouge1' | 'rouge2' | 'rougeL', measure: Measure, stem: boolean): Scorer {
  const label = kind === 'rougeL' ? 'ROUGE-L' : `ROUGE-${kind.slice(-1)}`;
  return (output, refs) => {
    const cand = rougeTokens(output, stem);
    const run = (ref: string): Prf => {
      const target = rougeTokens(ref, stem);
      return kind === 'rougeL' ? rougeL(cand, target) : rougeN(cand, target, kind === 'rouge1' ? 1 : 2);
    };
    // rouge-score's score_multi: the reference with the best F-measure.
    const { result, index } = best(refs, run, (r) => r.fmeasure);
    return rougeDetails(label, result, measure, `${stem ? ', Porter-stemmed tokens' : ''}${bestOf(refs, index)}`);
  };
}

const settings = z.object({
  metric: z.enum(METRICS).default('bleu').describe('Which metric scores the output against expected_output'),
  smoothing: z
    .enum(BLEU_SMOOTHINGS)
    .default('exponential')
    .describe('BLEU only, for missing n-gram orders: none (NLTK method0), epsilon (method1), add_one (method2), exponential (method3, NIST)'),
  measure_type: z.enum(MEASURES).default('fmeasure').describe('ROUGE and token_f1 only: which of precision, recall or F-measure is the score'),
  case_sensitive: z.boolean().default(false).describe('Compare letter case too (every metric lower-cases otherwise)'),
});
type Settings = z.output<typeof settings>;

function scorerFor(s: Settings): Scorer {
  const lower = !s.case_sensitive;
  const words = (t: string): string[] => wordTokens(t, lower);
  const metric: Metric = s.metric;
  switch (metric) {
    case 'bleu':
      return (output, refs) => bleuDetails(words(output), refs.map(words), s.smoothing, 'nltk');
    case 'gleu':
      return (output, refs) => {
        const r = gleu(words(output), refs.map(words));
        return { score: r.score, details: `GLEU ${fmt(r.score)}: ${r.matches} of ${r.total} 1–4-grams shared (min of precision and recall)${bestOf(refs, r.reference)}` };
      };
    case 'rouge1':
    case 'rouge2':
    case 'rougeL':
      return rougeScorer(metric, s.measure_type, false);
    case 'meteor':
      return (output, refs) => {
        const hyp = words(output);
        const { result: r, index } = best(refs, (ref) => meteor(hyp, words(ref)), (m) => m.score);
        const details =
          `METEOR ${fmt(r.score)}: ${r.exact} exact and ${r.stemmed} stem matches, precision ${fmt(r.precision)}, recall ${fmt(r.recall)}, ` +
          `fmean ${fmt(r.fmean)}, ${r.chunks} chunks, fragmentation penalty ${fmt(r.penalty)}; no synonym matching${bestOf(refs, index)}`;
        return { score: r.score, details };
      };
    case 'chrf':
      return (output, refs) => {
        const fold = (t: string): string => (lower ? t.toLowerCase() : t);
        const { stats, reference } = chrfStatistics(fold(output), refs.map(fold));
        const r = chrfFromStatistics(stats);
        return { score: r.score, details: `chrF ${fmt(r.score)} (β=2, character 1–6-grams): precision ${fmt(r.precision)}, recall ${fmt(r.recall)}${bestOf(refs, reference)}` };
      };
    case 'token_f1':
      return (output, refs) => {
        const pred = squadTokens(output, lower);
        const { result, index } = best(refs, (ref) => tokenF1(pred, squadTokens(ref, lower)), (r) => r.fmeasure);
        return rougeDetails('token F1', result, s.measure_type, `; ${result.shared} shared tokens after SQuAD normalisation${bestOf(refs, index)}`);
      };
  }
}

/** expected_output as a list of references: a string, or a list (nulls dropped, non-strings as JSON). */
function readReferences(value: unknown, allowMany: boolean): string[] | EvaluationResult {
  if (value === null || value === undefined) return missingInput('expected_output');
  const raw = allowMany && Array.isArray(value) ? value.filter((v) => v !== null && v !== undefined).map((v) => textInput(v)!) : [textInput(value)!];
  const refs = raw.filter((r) => r.trim() !== '');
  if (refs.length === 0) return { status: 'skipped', details: 'expected_output is empty: there is no reference to compare with' };
  if (refs.length > MAX_REFERENCES) return { status: 'skipped', details: `expected_output has ${refs.length} references; at most ${MAX_REFERENCES} are compared` };
  const long = refs.find((r) => r.length > MAX_TEXT_CHARS);
  if (long !== undefined) return { status: 'skipped', details: `expected_output is ${long.length} characters; at most ${MAX_TEXT_CHARS} are compared` };
  const total = refs.reduce((n, r) => n + r.length, 0);
  if (total > MAX_REFERENCE_CHARS) return { status: 'skipped', details: `expected_output's references total ${total} characters; at most ${MAX_REFERENCE_CHARS} are compared` };
  return refs;
}

/** Reads both inputs and runs the scorer, or says why it cannot. */
function evaluateWith(scorer: Scorer, inputs: EvaluatorInputs, allowMany: boolean): EvaluationResult {
  const output = textInput(inputs.output);
  if (output === undefined) return missingInput('output');
  if (output.trim() === '') return { status: 'skipped', details: 'output is empty: there is nothing to score' };
  if (output.length > MAX_TEXT_CHARS) return { status: 'skipped', details: `output is ${output.length} characters; at most ${MAX_TEXT_CHARS} are compared` };
  const refs = readReferences(inputs.expected_output, allowMany);
  if (!Array.isArray(refs)) return refs;
  return { status: 'processed', ...scorer(output, refs) };
}

/** `text_similarity`: BLEU, GLEU, ROUGE-1/2/L, METEOR, chrF or token F1 against expected_output. */
export const textSimilarity: EvaluatorDefinition<typeof settings> = {
  id: 'text_similarity',
  aliases: [],
  name: 'Text Similarity (n-gram metrics)',
  category: 'similarity',
  description:
    'Scores the output against expected_output (one reference or a list) with an n-gram metric: bleu, gleu, ' +
    'rouge1, rouge2, rougeL, meteor (exact and stem matches, no synonyms), chrf or token_f1 (SQuAD). Score 0–1.',
  requiredInputs: ['output', 'expected_output'],
  optionalInputs: [],
  // expected_output stays out: a list of references must arrive as a list, not as JSON text.
  stringInputs: ['output'],
  settings,
  result: ['score'],
  needsModel: false,
  inlineChars: () => INLINE_CHARS,
  create(s) {
    const scorer = scorerFor(s);
    return { evaluate: async (inputs) => evaluateWith(scorer, inputs, true) };
  },
};

const bleuSettings = z.object({});

/**
 * `bleu_score` / `ragas/bleu_score`: what Ragas ≥0.3 (LangWatch's pin) computes, sacreBLEU's
 * corpus_bleu with its defaults (13a tokens, case kept, exp smoothing, no effective order), on a
 * 0–1 scale. Ragas first splits both texts into sentences, makes each expected sentence an
 * alternative reference and fails when the output has several sentences; here both texts are
 * one segment each, which gives the same score whenever Ragas gives one for a one-sentence pair.
 */
export const bleuScore: EvaluatorDefinition<typeof bleuSettings> = {
  id: 'bleu_score',
  aliases: ['ragas/bleu_score'],
  name: 'BLEU Score',
  category: 'quality',
  description:
    'BLEU of the output against expected_output as Ragas computes it (sacreBLEU defaults: 13a tokens, case-sensitive, ' +
    'exponential smoothing). Outputs shorter than 4 tokens score 0; use text_similarity for other BLEU variants.',
  requiredInputs: ['output', 'expected_output'],
  optionalInputs: [],
  stringInputs: ['output', 'expected_output'],
  settings: bleuSettings,
  result: ['score'],
  needsModel: false,
  inlineChars: () => INLINE_CHARS,
  create() {
    const scorer: Scorer = (output, refs) => bleuDetails(tokenize13a(output), refs.map(tokenize13a), 'exponential', 'sacrebleu');
    return { evaluate: async (inputs) => evaluateWith(scorer, inputs, false) };
  },
};

const rougeSettings = z.object({
  rouge_type: z.enum(['rouge1', 'rougeL']).default('rouge1').describe('ROUGE type'),
  measure_type: z.enum(MEASURES).default('fmeasure').describe('ROUGE measure type'),
});

/** `rouge_score` / `ragas/rouge_score`: rouge-score with Porter stemming, as Ragas calls it. */
export const rougeScore: EvaluatorDefinition<typeof rougeSettings> = {
  id: 'rouge_score',
  aliases: ['ragas/rouge_score'],
  name: 'ROUGE Score',
  category: 'quality',
  description:
    'ROUGE-1 or ROUGE-L (precision, recall or F-measure) of the output against expected_output, on lower-cased, ' +
    'Porter-stemmed words as Ragas computes it.',
  requiredInputs: ['output', 'expected_output'],
  optionalInputs: [],
  stringInputs: ['output', 'expected_output'],
  settings: rougeSettings,
  result: ['score'],
  needsModel: false,
  inlineChars: () => INLINE_CHARS,
  create(s) {
    const scorer = rougeScorer(s.rouge_type, s.measure_type, true);
    return { evaluate: async (inputs) => evaluateWith(scorer, inputs, false) };
  },
};
