// The reference-based text metrics behind text_similarity, bleu_score and rouge_score, as pure
// functions over tokens or strings. Each one follows a named reference implementation so its
// numbers can be checked against published values (see ngram-metrics.test.ts):
//   BLEU   NLTK `sentence_bleu` (smoothing = Chen & Cherry 2014 methods 0–3), or sacreBLEU's
//          `corpus_bleu` (style 'sacrebleu': an order the hypothesis is too short for scores 0)
//   GLEU   NLTK `sentence_gleu` (Wu et al. 2016)
//   ROUGE  Google's `rouge-score` package (ROUGE-N and sentence-level ROUGE-L)
//   METEOR NLTK `meteor_score` without its WordNet synonym stage (Banerjee & Lavie 2005)
//   chrF   sacreBLEU `CHRF` (Popović 2015): character n-grams 1–6, whitespace removed
//   F1     the SQuAD v1.1 evaluation script's token F1
import { stemmer } from 'stemmer';

/** Precision, recall and their F-measure (β = 1), as rouge-score reports them. */
export interface Prf {
  precision: number;
  recall: number;
  fmeasure: number;
}

const f1 = (p: number, r: number): number => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

// ---- tokenisers ------------------------------------------------------------------------------

/** Runs of letters, marks and digits in any script: rouge-score's [a-z0-9]+ made Unicode-aware. */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;

/**
 * The word tokens every word-level metric of text_similarity uses: optionally lower-cased, then
 * maximal runs of letters/digits; punctuation and whitespace separate tokens and are dropped.
 */
export function wordTokens(text: string, lowercase: boolean): string[] {
  return (lowercase ? text.toLowerCase() : text).match(WORD) ?? [];
}

/**
 * rouge-score's tokeniser: lower-cased words, Porter-stemmed when longer than 3 characters.
 * `stemmer` is Porter's original algorithm; rouge-score uses NLTK's default mode, which differs
 * on a few words (e.g. "dying" → "die" there, "dy" here; "day" stays "day" there, "dai" here).
 */
export function rougeTokens(text: string, stem: boolean): string[] {
  const tokens = wordTokens(text, true);
  return stem ? tokens.map((t) => (t.length > 3 ? stemmer(t) : t)) : tokens;
}

/** Python's string.punctuation (ASCII only), which SQuAD deletes without leaving a space. */
const SQUAD_PUNCTUATION = /[!-/:-@[-`{-~]/g;
/** Python 3's \b(a|an|the)\b: a "word character" is any letter, digit or underscore. */
const SQUAD_ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/giu;

/** SQuAD v1.1 `normalize_answer`, split on whitespace: lower, drop punctuation and articles. */
export function squadTokens(text: string, lowercase = true): string[] {
  const t = (lowercase ? text.toLowerCase() : text).replace(SQUAD_PUNCTUATION, '').replace(SQUAD_ARTICLES, ' ');
  return t.split(/\s+/).filter((x) => x !== '');
}

// sacreBLEU's 13a tokeniser (mteval-v13a): the four regexes of its TokenizerRegexp, in order.
const T13A_SYMBOLS = /([\x7B-\x7E\x5B-\x60\x20-\x26\x28-\x2B\x3A-\x40\x2F])/g;
const T13A_PERIOD_AFTER = /([^0-9])([.,])/g;
const T13A_PERIOD_BEFORE = /([.,])([^0-9])/g;
const T13A_DASH = /([0-9])(-)/g;

/** sacreBLEU's default `13a` tokenisation (case is kept). */
export function tokenize13a(text: string): string[] {
  let line = text.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (line.includes('&')) {
    line = line.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  line = ` ${line} `
    .replace(T13A_SYMBOLS, ' $1 ')
    .replace(T13A_PERIOD_AFTER, '$1 $2 ')
    .replace(T13A_PERIOD_BEFORE, ' $1 $2')
    .replace(T13A_DASH, '$1 $2 ');
  return line.split(/\s+/).filter((x) => x !== '');
}

// ---- n-gram counting -------------------------------------------------------------------------

/**
 * Every n-gram (n = 1..maxOrder) of some sequences as a dense integer id, shared across the
 * sequences: equal n-grams get equal ids. ids[s][n - 1] lists sequence s's n-grams in order.
 * An n-gram's id is looked up from (its prefix's id, its last unigram's id), a number that stays
 * below 2^53 for any input size allowed here, so counting needs no string keys; that keeps
 * chrF's thousands of character n-grams per kilobyte cheap.
 */
function ngramIds(seqs: readonly (readonly string[])[], maxOrder: number): { ids: Int32Array[][]; size: number } {
  const vocab = new Map<string, number>();
  const unigrams = seqs.map((seq) =>
    Int32Array.from(seq, (token) => {
      let id = vocab.get(token);
      if (id === undefined) vocab.set(token, (id = vocab.size));
      return id;
    }),
  );
  const base = vocab.size;
  let size = base;
  const extended = new Map<number, number>();
  const ids = unigrams.map((u) => [u]);
  for (let n = 2; n <= maxOrder; n++) {
    ids.forEach((orders, s) => {
      const prev = orders[n - 2]!;
      const last = unigrams[s]!;
      const cur = new Int32Array(Math.max(0, prev.length - 1));
      for (let i = 0; i < cur.length; i++) {
        const key = prev[i]! * base + last[i + n - 1]!;
        let id = extended.get(key);
        if (id === undefined) extended.set(key, (id = size++));
        cur[i] = id;
      }
      orders.push(cur);
    });
  }
  return { ids, size };
}

/** Adds one to counts[id] for each n-gram. */
function fill(counts: Int32Array, grams: Int32Array): void {
  for (let i = 0; i < grams.length; i++) counts[grams[i]!]!++;
}

/** Σ min(count in `counts`, count in `grams`), used up from `counts` as it goes. */
function consume(counts: Int32Array, grams: Int32Array): number {
  let matched = 0;
  for (let i = 0; i < grams.length; i++) {
    const id = grams[i]!;
    if (counts[id]! > 0) {
      counts[id]!--;
      matched++;
    }
  }
  return matched;
}

function clear(counts: Int32Array, grams: Int32Array): void {
  for (let i = 0; i < grams.length; i++) counts[grams[i]!] = 0;
}

/** Clipped overlap of two sequences' n-grams of one order: Σ min(count in a, count in b). */
function overlapOf(a: Int32Array, b: Int32Array, size: number): number {
  const counts = new Int32Array(size);
  fill(counts, b);
  return consume(counts, a);
}

// ---- BLEU ------------------------------------------------------------------------------------

export const BLEU_SMOOTHINGS = ['none', 'epsilon', 'add_one', 'exponential'] as const;
/** none = NLTK method0; epsilon = method1 (0.1, sacreBLEU "floor"); add_one = method2 (sacreBLEU "add-k" k=1); exponential = method3 (NIST, sacreBLEU "exp"). */
export type BleuSmoothing = (typeof BLEU_SMOOTHINGS)[number];

/** BLEU's sufficient statistics; corpus BLEU adds them up over segments. */
export interface BleuStats {
  /** Clipped n-gram matches for n = 1..4. */
  matches: number[];
  /** Hypothesis n-grams for n = 1..4. */
  totals: number[];
  hypLength: number;
  /** Length of the reference closest in length (the shorter one on a tie). */
  refLength: number;
}

export interface BleuResult {
  score: number;
  /** The (smoothed) n-gram precisions used; 0 where the score collapsed to 0. */
  precisions: number[];
  brevityPenalty: number;
}

const BLEU_ORDER = 4;

/** Matches are clipped by the largest count of each n-gram in any one reference (Papineni et al.). */
export function bleuStatistics(hyp: readonly string[], refs: readonly (readonly string[])[]): BleuStats {
  const { ids, size } = ngramIds([hyp, ...refs], BLEU_ORDER);
  const [hypIds, ...refIds] = ids as [Int32Array[], ...Int32Array[][]];
  // The clipping budget: each n-gram's largest count in any one reference.
  const budget = new Int32Array(size);
  const counts = new Int32Array(size);
  for (const orders of refIds) {
    for (const grams of orders) {
      fill(counts, grams);
      for (let i = 0; i < grams.length; i++) budget[grams[i]!] = Math.max(budget[grams[i]!]!, counts[grams[i]!]!);
      clear(counts, grams);
    }
  }
  const matches = hypIds.map((grams) => consume(budget, grams));
  const totals = hypIds.map((grams) => grams.length);
  let refLength = 0;
  let best = Infinity;
  for (const ref of refs) {
    const diff = Math.abs(ref.length - hyp.length);
    if (diff < best || (diff === best && ref.length < refLength)) [best, refLength] = [diff, ref.length];
  }
  return { matches, totals, hypLength: hyp.length, refLength };
}

/**
 * BLEU from its statistics: brevity penalty × geometric mean of the four precisions.
 * `style` only matters for an order the hypothesis has no n-grams of (fewer than 4 tokens):
 * NLTK divides by max(1, count) and smooths, sacreBLEU's corpus_bleu scores 0. Unsmoothed,
 * any missing order gives exactly 0 (NLTK returns a tiny positive number instead).
 */
export function bleuFromStatistics(stats: BleuStats, smoothing: BleuSmoothing, style: 'nltk' | 'sacrebleu' = 'nltk'): BleuResult {
  const { hypLength: c, refLength: r } = stats;
  const brevityPenalty = c === 0 ? 0 : c > r ? 1 : Math.exp(1 - r / c);
  const precisions = [0, 0, 0, 0];
  // No unigram in common: both references return 0 before any smoothing.
  if (stats.matches[0] === 0) return { score: 0, precisions, brevityPenalty };
  let halvings = 1;
  let logSum = 0;
  for (let i = 0; i < BLEU_ORDER; i++) {
    let matched = stats.matches[i]!;
    let total = style === 'nltk' ? Math.max(1, stats.totals[i]!) : stats.totals[i]!;
    if (smoothing === 'add_one' && i > 0) {
      matched++;
      total++;
    }
    if (total === 0) return { score: 0, precisions, brevityPenalty };
    let p: number;
    if (matched > 0) p = matched / total;
    else if (smoothing === 'epsilon') p = 0.1 / total;
    else if (smoothing === 'exponential') p = 1 / ((halvings *= 2) * total);
    else return { score: 0, precisions, brevityPenalty };
    precisions[i] = p;
    logSum += Math.log(p) / BLEU_ORDER;
  }
  return { score: brevityPenalty * Math.exp(logSum), precisions, brevityPenalty };
}

// ---- GLEU ------------------------------------------------------------------------------------

export interface GleuResult {
  score: number;
  /** n-grams (n = 1..4) shared with the best reference, and the larger of the two totals. */
  matches: number;
  total: number;
  /** Index of the reference that scored best, or -1. */
  reference: number;
}

/** GLEU = min(precision, recall) over all 1–4-grams = matches / max(hyp n-grams, ref n-grams). */
export function gleu(hyp: readonly string[], refs: readonly (readonly string[])[]): GleuResult {
  const { ids, size } = ngramIds([hyp, ...refs], 4);
  const [hypIds, ...refIds] = ids as [Int32Array[], ...Int32Array[][]];
  const hypTotal = hypIds.reduce((n, grams) => n + grams.length, 0);
  const counts = new Int32Array(size);
  let result: GleuResult = { score: 0, matches: 0, total: 0, reference: -1 };
  refIds.forEach((orders, index) => {
    const total = Math.max(hypTotal, orders.reduce((n, grams) => n + grams.length, 0));
    if (total === 0) return;
    orders.forEach((grams) => fill(counts, grams));
    const matches = hypIds.reduce((n, grams) => n + consume(counts, grams), 0);
    orders.forEach((grams) => clear(counts, grams));
    // Strictly greater keeps the first of equally good references, as Python's max() does.
    if (result.reference === -1 || matches / total > result.score) result = { score: matches / total, matches, total, reference: index };
  });
  return result;
}

// ---- ROUGE -----------------------------------------------------------------------------------

/** ROUGE-N as rouge-score computes it (precision over the candidate's n-grams). */
export function rougeN(candidate: readonly string[], reference: readonly string[], n: number): Prf {
  const { ids, size } = ngramIds([candidate, reference], n);
  const [cand, ref] = [ids[0]![n - 1]!, ids[1]![n - 1]!];
  const shared = overlapOf(cand, ref, size);
  const precision = shared / Math.max(cand.length, 1);
  const recall = shared / Math.max(ref.length, 1);
  return { precision, recall, fmeasure: f1(precision, recall) };
}

/** Length of the longest common subsequence, in O(n·m) time and O(m) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  // Integer ids compare faster than strings in the quadratic loop.
  const [x, y] = ngramIds([a, b], 1).ids.map((orders) => orders[0]!) as [Int32Array, Int32Array];
  let prev = new Uint32Array(y.length + 1);
  let row = new Uint32Array(y.length + 1);
  for (let i = 1; i <= x.length; i++) {
    const token = x[i - 1];
    for (let j = 1; j <= y.length; j++) {
      row[j] = token === y[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, row[j - 1]!);
    }
    [prev, row] = [row, prev];
  }
  return prev[y.length]!;
}

/** Sentence-level ROUGE-L (rouge-score's "rougeL", not the summary-level "rougeLsum"). */
export function rougeL(candidate: readonly string[], reference: readonly string[]): Prf {
  if (candidate.length === 0 || reference.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(reference, candidate);
  const precision = lcs / candidate.length;
  const recall = lcs / reference.length;
  return { precision, recall, fmeasure: f1(precision, recall) };
}

// ---- METEOR ----------------------------------------------------------------------------------

export interface MeteorResult {
  score: number;
  exact: number;
  stemmed: number;
  chunks: number;
  precision: number;
  recall: number;
  fmean: number;
  penalty: number;
}

type Indexed = { index: number; word: string };
type Pair = [hyp: number, ref: number];

/**
 * One matching stage as NLTK runs it: hypothesis words from last to first, each taking the last
 * still-unmatched reference word with the same key. Matched words leave both lists.
 */
function matchStage(hyp: Indexed[], ref: Indexed[], key: (w: string) => string, pairs: Pair[]): number {
  const refKeys = ref.map((r) => key(r.word));
  let matched = 0;
  for (let i = hyp.length - 1; i >= 0; i--) {
    const k = key(hyp[i]!.word);
    const j = refKeys.lastIndexOf(k);
    if (j < 0) continue;
    pairs.push([hyp[i]!.index, ref[j]!.index]);
    hyp.splice(i, 1);
    ref.splice(j, 1);
    refKeys.splice(j, 1);
    matched++;
  }
  return matched;
}

/**
 * METEOR with exact and Porter-stem matching (stemmer = original Porter algorithm). WordNet
 * synonyms are not matched. alpha 0.9, beta 3, gamma 0.5 as in NLTK and Lavie & Agarwal 2007.
 * The alignment is NLTK's greedy one, not the fewest-chunks search of the METEOR tool, so a
 * sentence with repeated words can get more chunks (a lower score) than the paper's aligner gives.
 */
export function meteor(hyp: readonly string[], ref: readonly string[], alpha = 0.9, beta = 3, gamma = 0.5): MeteorResult {
  const hypLeft = hyp.map((word, index) => ({ index, word }));
  const refLeft = ref.map((word, index) => ({ index, word }));
  const pairs: Pair[] = [];
  const exact = matchStage(hypLeft, refLeft, (w) => w, pairs);
  const stemmed = matchStage(hypLeft, refLeft, stemmer, pairs);
  const m = pairs.length;
  const empty = { score: 0, exact, stemmed, chunks: 0, precision: 0, recall: 0, fmean: 0, penalty: 0 };
  if (m === 0) return empty;
  pairs.sort((x, y) => x[0] - y[0]);
  // A chunk is a run of matches adjacent in both the hypothesis and the reference.
  let chunks = 1;
  for (let i = 1; i < m; i++) if (pairs[i]![0] !== pairs[i - 1]![0] + 1 || pairs[i]![1] !== pairs[i - 1]![1] + 1) chunks++;
  const precision = m / hyp.length;
  const recall = m / ref.length;
  const fmean = (precision * recall) / (alpha * precision + (1 - alpha) * recall);
  const penalty = gamma * (chunks / m) ** beta;
  return { score: (1 - penalty) * fmean, exact, stemmed, chunks, precision, recall, fmean, penalty };
}

// ---- chrF ------------------------------------------------------------------------------------

export interface ChrfOptions {
  /** Largest character n-gram (sacreBLEU default 6). */
  charOrder?: number;
  /** Weight of recall over precision (sacreBLEU default 2). */
  beta?: number;
  /** chrF++.py-style ε smoothing (sacreBLEU eps_smoothing); default false = effective order. */
  epsSmoothing?: boolean;
}

/** Per order [hypothesis n-grams, reference n-grams, matches], flattened as sacreBLEU keeps them. */
export type ChrfStats = number[];

/** Code points (as Python indexes strings) with whitespace removed, as sacreBLEU does by default. */
const chrfChars = (text: string): string[] => Array.from(text.replace(/\s+/g, ''));

/** chrF on a 0–1 scale from (possibly summed) statistics. */
export function chrfFromStatistics(stats: ChrfStats, options: ChrfOptions = {}): { score: number; precision: number; recall: number } {
  const factor = (options.beta ?? 2) ** 2;
  const orders = stats.length / 3;
  const eps = 1e-16;
  let epsScore = 0;
  let precision = 0;
  let recall = 0;
  let effective = 0;
  for (let i = 0; i < orders; i++) {
    const [hyp, ref, match] = [stats[3 * i]!, stats[3 * i + 1]!, stats[3 * i + 2]!];
    const p = hyp > 0 ? match / hyp : eps;
    const r = ref > 0 ? match / ref : eps;
    const denom = factor * p + r;
    epsScore += denom > 0 ? ((1 + factor) * p * r) / denom : eps;
    if (hyp > 0 && ref > 0) {
      precision += p;
      recall += r;
      effective++;
    }
  }
  if (effective > 0) {
    precision /= effective;
    recall /= effective;
  }
  if (options.epsSmoothing) return { score: epsScore / orders, precision, recall };
  const score = precision + recall > 0 ? ((1 + factor) * precision * recall) / (factor * precision + recall) : 0;
  return { score, precision, recall };
}

/** The statistics of the reference with the best chrF (the first one on a tie). */
export function chrfStatistics(hyp: string, refs: readonly string[], options: ChrfOptions = {}): { stats: ChrfStats; reference: number } {
  const { ids, size } = ngramIds([chrfChars(hyp), ...refs.map(chrfChars)], options.charOrder ?? 6);
  const [hypIds, ...refIds] = ids as [Int32Array[], ...Int32Array[][]];
  const counts = new Int32Array(size);
  let best: { stats: ChrfStats; reference: number; score: number } = { stats: [], reference: -1, score: -1 };
  refIds.forEach((orders, reference) => {
    const stats: ChrfStats = [];
    orders.forEach((refGrams, i) => {
      const hypGrams = hypIds[i]!;
      fill(counts, refGrams);
      // sacreBLEU does not count hypothesis n-grams of an order the reference has none of.
      stats.push(refGrams.length > 0 ? hypGrams.length : 0, refGrams.length, consume(counts, hypGrams));
      clear(counts, refGrams);
    });
    const score = chrfFromStatistics(stats, options).score;
    if (score > best.score) best = { stats, reference, score };
  });
  return { stats: best.stats, reference: best.reference };
}

// ---- token F1 --------------------------------------------------------------------------------

/** SQuAD's token F1 between two token lists (0 when nothing is shared). */
export function tokenF1(prediction: readonly string[], truth: readonly string[]): Prf & { shared: number } {
  const { ids, size } = ngramIds([prediction, truth], 1);
  const shared = overlapOf(ids[0]![0]!, ids[1]![0]!, size);
  if (shared === 0) return { precision: 0, recall: 0, fmeasure: 0, shared };
  const precision = shared / prediction.length;
  const recall = shared / truth.length;
  return { precision, recall, fmeasure: f1(precision, recall), shared };
}
