// Every expected value below comes from a reference implementation's own tests or doctests, a
// paper, or (where marked) from running the reference implementation, never from this code.
import { describe, expect, it } from 'vitest';
import {
  type BleuStats,
  type ChrfStats,
  bleuFromStatistics,
  bleuStatistics,
  chrfFromStatistics,
  chrfStatistics,
  gleu,
  lcsLength,
  meteor,
  rougeL,
  rougeN,
  rougeTokens,
  squadTokens,
  tokenF1,
  tokenize13a,
  wordTokens,
} from './ngram-metrics.js';

// The running example of NLTK's nltk/translate/bleu_score.py, gleu_score.py and meteor_score.py
// doctests (originally from Papineni et al. 2002), pre-tokenised exactly as there.
const hyp1 = 'It is a guide to action which ensures that the military always obeys the commands of the party'.split(' ');
const hyp2 = 'It is to insure the troops forever hearing the activity guidebook that party direct'.split(' ');
const ref1 = 'It is a guide to action that ensures that the military will forever heed Party commands'.split(' ');
const ref2 = 'It is the guiding principle which guarantees the military forces always being under the command of the Party'.split(' ');
const ref3 = 'It is the practical guide for the army always to heed the directions of the party'.split(' ');

const bleu = (hyp: string[], refs: string[][], smoothing: 'none' | 'epsilon' | 'add_one' | 'exponential' = 'none') =>
  bleuFromStatistics(bleuStatistics(hyp, refs), smoothing).score;

describe('BLEU (NLTK sentence_bleu)', () => {
  it('reproduces the sentence_bleu doctests', () => {
    // >>> sentence_bleu([reference1, reference2, reference3], hypothesis1)  → 0.5045...
    expect(bleu(hyp1, [ref1, ref2, ref3])).toBeCloseTo(0.5045666840058485, 10);
    // Without smoothing hypothesis2 has no 4-gram match: round(..., 4) → 0.0
    expect(bleu(hyp2, [ref1, ref2, ref3])).toBe(0);
    // >>> sentence_bleu(..., hypothesis2, smoothing_function=chencherry.method1) → 0.0370...
    expect(bleu(hyp2, [ref1, ref2, ref3], 'epsilon')).toBeCloseTo(0.0370313, 6);
  });

  it('reproduces the SmoothingFunction doctests (one reference)', () => {
    // SmoothingFunction.__init__ doctest: method0/1/3 → 0.4118..., method2 → 0.4452...
    expect(bleu(hyp1, [ref1])).toBeCloseTo(0.41180376356915777, 10);
    expect(bleu(hyp1, [ref1], 'epsilon')).toBeCloseTo(0.41180376356915777, 10);
    expect(bleu(hyp1, [ref1], 'exponential')).toBeCloseTo(0.41180376356915777, 10);
    expect(bleu(hyp1, [ref1], 'add_one')).toBeCloseTo(0.4452945001507636, 10);
  });

  it('matches NLTK 3.8 for smoothing methods 2 and 3 where they matter', () => {
    // Run with Debian's python3-nltk 3.8: sentence_bleu([ref1, ref2, ref3], hyp2,
    // smoothing_function=SmoothingFunction().method2 / .method3)
    expect(bleu(hyp2, [ref1, ref2, ref3], 'add_one')).toBeCloseTo(0.13111209575157431, 10);
    expect(bleu(hyp2, [ref1, ref2, ref3], 'exponential')).toBeCloseTo(0.06963003305718092, 10);
    // A one-word answer: NLTK divides empty orders by 1 and smooths them (method3) → 0.35355...
    expect(bleu(['paris'], [['paris']], 'exponential')).toBeCloseTo(0.3535533905932738, 10);
  });

  it('reports the modified precisions of the modified_precision doctests', () => {
    // modified_precision(references, hypothesis1, n=1) → 0.9444..., n=2 → 0.5882352941176471
    const stats = bleuStatistics(hyp1, [ref1, ref2, ref3]);
    expect(stats.matches[0]! / stats.totals[0]!).toBeCloseTo(0.9444444, 6);
    expect(stats.matches[1]! / stats.totals[1]!).toBeCloseTo(0.5882352941176471, 12);
    // modified_precision(references, 'the the the the the the the', n=1) → 0.2857... (2/7)
    const the = bleuStatistics('the the the the the the the'.split(' '), ['the cat is on the mat'.split(' '), 'there is a cat on the mat'.split(' ')]);
    expect(the.matches[0]! / the.totals[0]!).toBeCloseTo(2 / 7, 12);
  });

  it('takes the closest reference length, the shorter on a tie (brevity_penalty doctest)', () => {
    // brevity_penalty doctest: references of 12, 15 and 17 'a's and a hypothesis of 12 → BP 1.0
    const a = (n: number) => Array<string>(n).fill('a');
    expect(bleuStatistics(a(12), [a(12), a(15), a(17)]).refLength).toBe(12);
    expect(bleuStatistics(a(13), [a(12), a(14)]).refLength).toBe(12);
  });

  it('scores 0 when no unigram matches, whatever the smoothing', () => {
    expect(bleu(['non', 'matching'], [['this', 'is', 'a', 'cat']], 'exponential')).toBe(0);
  });
});

// sacreBLEU 2.x README / test/test_bleu.py corpus example (two reference streams).
const SYS = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
const REFS = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
];

describe('BLEU (sacreBLEU style, 13a tokens)', () => {
  it('reproduces the README corpus score 48.530827 with its statistics', () => {
    // test_bleu.py test_corpus_bleu: default settings (13a, exp smoothing) → 48.530827;
    // README: "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)"
    const total: BleuStats = { matches: [0, 0, 0, 0], totals: [0, 0, 0, 0], hypLength: 0, refLength: 0 };
    SYS.forEach((sys, i) => {
      const s = bleuStatistics(tokenize13a(sys), REFS.map((stream) => tokenize13a(stream[i]!)));
      s.matches.forEach((m, n) => (total.matches[n]! += m));
      s.totals.forEach((t, n) => (total.totals[n]! += t));
      total.hypLength += s.hypLength;
      total.refLength += s.refLength;
    });
    expect([total.hypLength, total.refLength]).toEqual([17, 18]);
    const result = bleuFromStatistics(total, 'exponential', 'sacrebleu');
    expect(result.score * 100).toBeCloseTo(48.530827, 5);
    expect(result.brevityPenalty).toBeCloseTo(0.943, 3);
    expect(result.precisions.map((p) => Math.round(p * 1000) / 10)).toEqual([82.4, 50.0, 45.5, 37.5]);
  });

  it('reproduces the sentence scores of test_sentence_bleu.py for each smoothing', () => {
    // Example from sacreBLEU issue #98; expected scores given to 3 decimals (of 100).
    const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
    const HYP = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
    const stats = () => bleuStatistics(tokenize13a(HYP), [tokenize13a(REF)]);
    // The test's own tolerance: |score − expected| < 1e-3 on the 0–100 scale.
    const off = (smoothing: 'exponential' | 'epsilon' | 'add_one', expected: number) =>
      Math.abs(bleuFromStatistics(stats(), smoothing, 'sacrebleu').score * 100 - expected);
    expect(off('exponential', 8.493)).toBeLessThan(1e-3);
    expect(off('epsilon', 4.51688)).toBeLessThan(1e-3);
    expect(off('add_one', 14.882)).toBeLessThan(1e-3);
    expect(bleuFromStatistics(stats(), 'none', 'sacrebleu').score).toBe(0);
  });

  it('gives 0 to a hypothesis shorter than 4 tokens (no effective order, as corpus_bleu)', () => {
    // test_bleu.py test_case_statistics: counts [4,2,1,0] of totals [6,5,4,3] for this pair.
    const s = bleuStatistics('am I am a character sequence'.split(' '), ['I am a symbol string sequence a a'.split(' ')]);
    expect([s.matches, s.totals]).toEqual([
      [4, 2, 1, 0],
      [6, 5, 4, 3],
    ]);
    expect(bleuFromStatistics(bleuStatistics(['a', 'test'], [['a', 'test']]), 'exponential', 'sacrebleu').score).toBe(0);
  });

  it('tokenises like 13a: punctuation split off, except inside numbers', () => {
    expect(tokenize13a("It wasn't 3.5 or 1,000 - \"done\" (ok).")).toEqual(['It', "wasn't", '3.5', 'or', '1,000', '-', '"', 'done', '"', '(', 'ok', ')', '.']);
    expect(tokenize13a('a &amp; b\nc-\nd')).toEqual(['a', '&', 'b', 'cd']);
  });
});

describe('GLEU (NLTK sentence_gleu)', () => {
  it('reproduces the gleu_score doctests', () => {
    // >>> sentence_gleu([ref], 'the the the the the the the') → 0.0909...
    expect(gleu('the the the the the the the'.split(' '), ['the cat is on the mat'.split(' ')]).score).toBeCloseTo(0.0909090909, 9);
    // >>> sentence_gleu([ref1], hyp1) → 0.4393..., sentence_gleu([ref1], hyp2) → 0.1206...
    expect(gleu(hyp1, [ref1]).score).toBeCloseTo(0.4393939393939394, 12);
    expect(gleu(hyp2, [ref1]).score).toBeCloseTo(0.1206896551724138, 12);
  });

  it('uses the best of several references', () => {
    // NLTK 3.8: sentence_gleu([ref1, ref2, ref3], hyp1) → 0.4393939393939394 (ref1 is best)
    expect(gleu(hyp1, [ref1, ref2, ref3])).toMatchObject({ reference: 0 });
    expect(gleu(hyp1, [ref1, ref2, ref3]).score).toBeCloseTo(0.4393939393939394, 12);
  });
});

// google-research rouge/testdata target.txt and prediction.txt, lines 1 and 2; expected values
// are rouge_scorer_test.py's, which were checked against the official ROUGE-1.5.5.
const TARGET_0 =
  "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L";
const PREDICTION_0 = "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi";
const TARGET_1 =
  "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN";
const PREDICTION_1 =
  "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD";

const prf = (x: { precision: number; recall: number; fmeasure: number }) => [x.precision, x.recall, x.fmeasure].map((v) => Math.round(v * 1e5) / 1e5);

describe('ROUGE (rouge-score)', () => {
  const t = (s: string, stem = false) => rougeTokens(s, stem);

  it('reproduces the simple cases of rouge_scorer_test.py', () => {
    // score(target, prediction): testRouge1, testRouge2, testRougeLConsecutive, testRougeLNonConsecutive
    expect(rougeN(t('testing'), t('testing one two'), 1)).toEqual({ precision: 1, recall: 1 / 3, fmeasure: 1 / 2 });
    expect(rougeN(t('testing one'), t('testing one two'), 2)).toEqual({ precision: 1, recall: 1 / 2, fmeasure: 2 / 3 });
    expect(rougeL(t('testing one'), t('testing one two')).fmeasure).toBeCloseTo(4 / 5, 12);
    expect(rougeL(t('testing two'), t('testing one two'))).toMatchObject({ precision: 1, recall: 2 / 3 });
    // testRougeEmpty: an empty prediction scores 0 everywhere
    expect(rougeL(t(''), t('testing one two'))).toEqual({ precision: 0, recall: 0, fmeasure: 0 });
    expect(rougeN(t(''), t('testing one two'), 1)).toEqual({ precision: 0, recall: 0, fmeasure: 0 });
  });

  it('matches ROUGE-1.5.5 on the test data (rouge_scorer_test.py, 5 decimals)', () => {
    expect(prf(rougeN(t(PREDICTION_0), t(TARGET_0), 1))).toEqual([0.6875, 0.40741, 0.51163]);
    expect(prf(rougeN(t(PREDICTION_1), t(TARGET_1), 1))).toEqual([0.65385, 0.40476, 0.5]);
    expect(prf(rougeN(t(PREDICTION_0), t(TARGET_0), 2))).toEqual([0.53333, 0.30769, 0.39024]);
    expect(prf(rougeN(t(PREDICTION_1), t(TARGET_1), 2))).toEqual([0.48, 0.29268, 0.36364]);
    expect(prf(rougeL(t(PREDICTION_0), t(TARGET_0)))).toEqual([0.6875, 0.40741, 0.51163]);
    expect(prf(rougeL(t(PREDICTION_1), t(TARGET_1)))).toEqual([0.65385, 0.40476, 0.5]);
  });

  it('matches ROUGE-1.5.5 with Porter stemming (testRouge1/2AgainstRouge155WithStemming)', () => {
    expect(prf(rougeN(t(PREDICTION_0, true), t(TARGET_0, true), 1))).toEqual([0.6875, 0.40741, 0.51163]);
    expect(prf(rougeN(t(PREDICTION_1, true), t(TARGET_1, true), 1))).toEqual([0.69231, 0.42857, 0.52941]);
    expect(prf(rougeN(t(PREDICTION_1, true), t(TARGET_1, true), 2))).toEqual([0.48, 0.29268, 0.36364]);
  });

  it('computes the LCS of testLcsTable', () => {
    expect(lcsLength(['1', '2', '3', '4', '5'], ['2', '5', '3', '4'])).toBe(3);
    expect(lcsLength(['1', '2', '3', '4', '5'], ['8', '9'])).toBe(0);
  });
});

// NLTK 3.8 meteor_score run with a WordNet stand-in whose synsets() is always empty, i.e.
// exact + Porter-stem stages only (same result under NLTK's default and its ORIGINAL_ALGORITHM
// Porter stemmer for these words). The first value is also the published doctest.
const lower = (ws: string[]) => ws.map((w) => w.toLowerCase());

describe('METEOR (NLTK meteor_score, no WordNet stage)', () => {
  it('reproduces the single_meteor_score doctest, which needs no synonyms', () => {
    // >>> round(single_meteor_score(reference1, hypothesis1), 4) → 0.6944
    expect(meteor(lower(hyp1), lower(ref1)).score).toBeCloseTo(0.6944444444444445, 12);
    // >>> round(single_meteor_score(['this','is','a','cat'], ['non','matching','hypothesis']), 4) → 0.0
    expect(meteor(['non', 'matching', 'hypothesis'], ['this', 'is', 'a', 'cat']).score).toBe(0);
  });

  it('matches NLTK on the other doctest pairs', () => {
    expect(meteor(lower(hyp2), lower(ref1)).score).toBeCloseTo(0.3035391371738569, 12);
    expect(meteor(lower(hyp2), lower(ref2)).score).toBeCloseTo(0.21136363636363634, 12);
    expect(meteor(lower(hyp2), lower(ref3)).score).toBeCloseTo(0.3035391371738569, 12);
  });

  it('matches stems and penalises fragmentation', () => {
    // NLTK: 'the cats were running in the garden' vs 'the cat runs in the gardens' → 0.96539...
    const stems = meteor('the cats were running in the garden'.split(' '), 'the cat runs in the gardens'.split(' '));
    expect(stems.score).toBeCloseTo(0.9653916211293262, 12);
    expect(stems).toMatchObject({ exact: 3, stemmed: 3, chunks: 2 });
    // NLTK: 'd e f a b c' vs 'a b c d e f' → 0.98148... = 1 − 0.5·(2/6)³ by the formula
    expect(meteor('d e f a b c'.split(' '), 'a b c d e f'.split(' ')).score).toBeCloseTo(0.9814814814814815, 12);
    // NLTK: 'the quick brown fox jumps over the lazy dog' vs 'the quick brown dog jumps on the log'
    expect(meteor('the quick brown fox jumps over the lazy dog'.split(' '), 'the quick brown dog jumps on the log'.split(' ')).score).toBeCloseTo(0.6310013717421126, 12);
  });
});

describe('chrF (sacreBLEU CHRF)', () => {
  const score = (hyp: string, refs: string[], options: Parameters<typeof chrfFromStatistics>[1]) =>
    chrfFromStatistics(chrfStatistics(hyp, refs, options).stats, options).score * 100;

  it.each([
    // test_chrf.py test_cases: char_order=6, word_order=0, beta=3, eps_smoothing=True
    ['abcdefg', 'hijklmnop', 0.0],
    ['a', 'b', 0.0],
    ['aa', 'ab', 8.3333],
    ['a', 'a', 16.6667],
    ['a b c', 'a b c', 50.0],
    ['a b c', 'abc', 50.0],
    [
      ' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .',
      'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .',
      63.36173,
    ],
    [' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. ', 'Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.', 64.1302698],
    ['Niemand hat die Absicht, eine Mauer zu errichten', 'Niemand hat die Absicht, eine Mauer zu errichten', 100.0],
  ])('eps smoothing, beta 3: %j vs %j → %f', (hyp, ref, expected) => {
    expect(score(hyp, [ref], { beta: 3, epsSmoothing: true })).toBeCloseTo(expected, 4);
  });

  it.each([
    // test_chrf.py test_cases_effective_order: beta=3, eps_smoothing=False (the default mode)
    ['a', 'a', 100.0],
    ['a b c', 'a b c', 100.0],
    ['a b c', 'abc', 100.0],
    ['aa', 'ab', 25.0],
  ])('effective order, beta 3: %j vs %j → %f', (hyp, ref, expected) => {
    expect(score(hyp, [ref], { beta: 3 })).toBeCloseTo(expected, 4);
  });

  it.each([
    // test_chrf.py test_sentence_level_chrf: sentence_chrf defaults (beta 2) with eps_smoothing=True
    ['Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.', 'Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.', 39.14078509],
    ['Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.', 'A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.', 31.22557079],
    ['Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.', 'Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.', 57.15704367],
  ])('sentence level, beta 2: %j', (hyp, ref, expected) => {
    expect(score(hyp, [ref], { epsSmoothing: true })).toBeCloseTo(expected, 6);
  });

  it('reproduces the README corpus score chrF2 = 59.73 with the defaults (beta 2, no eps)', () => {
    const total: ChrfStats = Array<number>(18).fill(0);
    SYS.forEach((sys, i) => {
      const { stats } = chrfStatistics(sys, REFS.map((stream) => stream[i]!));
      stats.forEach((v, k) => (total[k]! += v));
    });
    expect(chrfFromStatistics(total).score * 100).toBeCloseTo(59.73, 2);
  });
});

describe('token F1 (SQuAD v1.1 evaluate-v1.1.py)', () => {
  // Worked by hand from the script: normalize_answer lower-cases, deletes string.punctuation,
  // replaces \b(a|an|the)\b with a space and splits on whitespace; F1 over the token multisets.
  it('normalises like normalize_answer', () => {
    expect(squadTokens('The  Denver Broncos!')).toEqual(['denver', 'broncos']);
    expect(squadTokens("An apple's a day, theatre")).toEqual(['apples', 'day', 'theatre']);
    expect(squadTokens('well-known U.S.')).toEqual(['wellknown', 'us']);
  });

  it('scores F1 over shared tokens', () => {
    expect(tokenF1(squadTokens('The Denver Broncos'), squadTokens('Denver Broncos')).fmeasure).toBe(1);
    // 'in the year 1976.' → [in, year, 1976] vs [1976]: P = 1/3, R = 1, F1 = 0.5
    expect(tokenF1(squadTokens('in the year 1976.'), squadTokens('1976'))).toEqual({ precision: 1 / 3, recall: 1, fmeasure: 0.5, shared: 1 });
    // [santa, clara, california] vs [levis, stadium, santa, clara]: 2 shared, P 2/3, R 1/2, F1 4/7
    expect(tokenF1(squadTokens('Santa Clara, California'), squadTokens("Levi's Stadium, Santa Clara")).fmeasure).toBeCloseTo(4 / 7, 12);
    expect(tokenF1(squadTokens('Paris'), squadTokens('London')).fmeasure).toBe(0);
  });
});

describe('word tokens', () => {
  it('splits on anything but letters and digits, in any script', () => {
    expect(wordTokens("Don't stop: Café-au-lait, 3.5 €!", true)).toEqual(['don', 't', 'stop', 'café', 'au', 'lait', '3', '5']);
    expect(wordTokens('Ünïcode ΑΒΓ', false)).toEqual(['Ünïcode', 'ΑΒΓ']);
  });
});
