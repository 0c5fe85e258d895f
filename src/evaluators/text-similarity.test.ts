// Expected values come from the reference implementations (cited per test), through the same
// texts the evaluators receive; the metric functions themselves are tested in ngram-metrics.test.ts.
import { describe, expect, it } from 'vitest';
import type { EvaluationResult, EvaluatorContext, EvaluatorInputs } from '../core/model/results.js';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { noModels } from '../testing/no-models.js';
import { MAX_REFERENCE_CHARS, MAX_TEXT_CHARS, bleuScore, rougeScore, textSimilarity } from './text-similarity.js';

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal };

function runWith(def: EvaluatorDefinition, inputs: EvaluatorInputs, settings: Record<string, unknown> = {}): Promise<EvaluationResult> {
  return def.create(def.settings.parse(settings), { sandbox: createFakeSandbox(), models: noModels }).evaluate(inputs, context);
}
const run = (inputs: EvaluatorInputs, settings: Record<string, unknown> = {}) => runWith(textSimilarity, inputs, settings);

async function score(inputs: EvaluatorInputs, settings: Record<string, unknown> = {}): Promise<number> {
  const result = await run(inputs, settings);
  expect(result.status).toBe('processed');
  return (result as { score: number }).score;
}

// NLTK's doctest sentences (bleu_score.py, meteor_score.py), as plain text.
const HYP1 = 'It is a guide to action which ensures that the military always obeys the commands of the party.';
const REF1 = 'It is a guide to action that ensures that the military will forever heed Party commands.';
const REF2 = 'It is the guiding principle which guarantees the military forces always being under the command of the Party.';
const REF3 = 'It is the practical guide for the army always to heed the directions of the party.';

describe('text_similarity settings', () => {
  it('defaults to BLEU with exponential smoothing, F-measure, case-insensitive', () => {
    expect(textSimilarity.settings.parse({})).toEqual({ metric: 'bleu', smoothing: 'exponential', measure_type: 'fmeasure', case_sensitive: false });
  });

  it.each([
    [{ metric: 'bleurt' }, 'metric'],
    [{ smoothing: 'add1' }, 'smoothing'],
    [{ measure_type: 'f1' }, 'measure_type'],
    [{ case_sensitive: 'yes' }, 'case_sensitive'],
  ])('refuses %j naming the field', (bad, field) => {
    const parsed = textSimilarity.settings.safeParse(bad);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual([field]);
  });
});

describe('text_similarity metrics', () => {
  it('bleu: NLTK sentence_bleu doctest with three references → 0.5045...', async () => {
    // Lower-casing does not change this case (NLTK 3.8 on lower-cased tokens: 0.5045666840058485).
    const result = await run({ output: HYP1, expected_output: [REF1, REF2, REF3] }, { smoothing: 'none' });
    expect(result).toMatchObject({ status: 'processed', score: expect.closeTo(0.5045666840058485, 10) });
    expect(result.details).toBe(
      'BLEU 0.5046: n-gram precisions 0.9444/0.5882/0.4375/0.2667 (matched 17/10/7/4 of 18/17/16/15), ' +
        'brevity penalty 1.0000 (output 18 tokens, closest reference 18), smoothing none',
    );
  });

  it('bleu: case folding follows case_sensitive (NLTK 3.8 on the doctest pair hypothesis1/reference1)', async () => {
    // sentence_bleu([reference1], hypothesis1) = 0.4118... as given; 0.42085... on lower-cased tokens.
    expect(await score({ output: HYP1, expected_output: REF1 })).toBeCloseTo(0.4208598069524091, 10);
    expect(await score({ output: HYP1, expected_output: REF1 }, { case_sensitive: true })).toBeCloseTo(0.41180376356915777, 10);
    // SmoothingFunction doctest: method2 (add one) → 0.4452...
    expect(await score({ output: HYP1, expected_output: REF1 }, { case_sensitive: true, smoothing: 'add_one' })).toBeCloseTo(0.4452945001507636, 10);
  });

  it('bleu: smoothing rescues a missing 4-gram (sentence_bleu doctest, method1 → 0.0370...)', async () => {
    const hyp2 = 'It is to insure the troops forever hearing the activity guidebook that party direct';
    expect(await score({ output: hyp2, expected_output: [REF1, REF2, REF3] }, { smoothing: 'none' })).toBe(0);
    expect(await score({ output: hyp2, expected_output: [REF1, REF2, REF3] }, { smoothing: 'epsilon' })).toBeCloseTo(0.0370313, 6);
  });

  it('gleu: NLTK sentence_gleu doctest (0.4393... as given, 0.4545... lower-cased per NLTK 3.8)', async () => {
    expect(await score({ output: HYP1, expected_output: REF1 }, { metric: 'gleu', case_sensitive: true })).toBeCloseTo(0.4393939393939394, 12);
    expect(await score({ output: HYP1, expected_output: REF1 }, { metric: 'gleu' })).toBeCloseTo(0.45454545454545453, 12);
  });

  it('rouge: rouge_scorer_test.py simple cases, per measure', async () => {
    const pair = { output: 'testing one', expected_output: 'testing one two' };
    expect(await score(pair, { metric: 'rouge2' })).toBeCloseTo(2 / 3, 12);
    expect(await score(pair, { metric: 'rougeL' })).toBeCloseTo(4 / 5, 12);
    expect(await score(pair, { metric: 'rouge1', measure_type: 'precision' })).toBe(1);
    expect(await score(pair, { metric: 'rougeL', measure_type: 'recall' })).toBeCloseTo(2 / 3, 12);
    expect((await run({ output: 'testing', expected_output: 'testing one two' }, { metric: 'rouge1' })).details).toBe(
      'ROUGE-1 fmeasure 0.5000 (precision 1.0000, recall 0.3333, F1 0.5000)',
    );
  });

  it('rouge: keeps the reference with the best F-measure (rouge-score score_multi)', async () => {
    const result = await run({ output: 'testing one', expected_output: ['nothing here', 'testing one two'] }, { metric: 'rouge1', measure_type: 'recall' });
    expect(result).toMatchObject({ score: expect.closeTo(2 / 3, 12), details: expect.stringContaining('(best of 2 references: #2)') });
  });

  it('meteor: NLTK meteor_score doctest with three references → 0.6944', async () => {
    // >>> round(meteor_score([reference1, reference2, reference3], hypothesis1), 4) → 0.6944
    const result = await run({ output: HYP1, expected_output: [REF1, REF2, REF3] }, { metric: 'meteor' });
    expect(result).toMatchObject({ score: expect.closeTo(0.6944444444444445, 12) });
    expect(result.details).toContain('no synonym matching');
  });

  it('chrf: sacreBLEU effective-order cases (test_chrf.py, equal P and R so beta does not matter)', async () => {
    expect(await score({ output: 'aa', expected_output: 'ab' }, { metric: 'chrf' })).toBeCloseTo(0.25, 12);
    expect(await score({ output: 'A B C', expected_output: 'abc' }, { metric: 'chrf' })).toBe(1);
    expect(await score({ output: 'A B C', expected_output: 'abc' }, { metric: 'chrf', case_sensitive: true })).toBe(0);
    const multi = await run({ output: 'aa', expected_output: ['xy', 'ab'] }, { metric: 'chrf' });
    expect(multi.details).toContain('(best of 2 references: #2)');
  });

  it('token_f1: SQuAD v1.1 F1, max over ground truths (worked from evaluate-v1.1.py)', async () => {
    expect(await score({ output: 'in the year 1976.', expected_output: '1976' }, { metric: 'token_f1' })).toBe(0.5);
    expect(await score({ output: 'in the year 1976.', expected_output: '1976' }, { metric: 'token_f1', measure_type: 'precision' })).toBeCloseTo(1 / 3, 12);
    // [in, year, 1976] vs [year, 1976]: P 2/3, R 1, F1 0.8; 'London' shares nothing.
    const result = await run({ output: 'in the year 1976.', expected_output: ['London', 'The year 1976'] }, { metric: 'token_f1' });
    expect(result).toMatchObject({ score: expect.closeTo(0.8, 12), details: expect.stringContaining('2 shared tokens') });
    // A number as expected_output is compared as its text.
    expect(await score({ output: '1976', expected_output: 1976 }, { metric: 'token_f1' })).toBe(1);
  });

  it('scores 0, not skipped, when the output has no words in common or none at all', async () => {
    expect(await score({ output: 'Paris', expected_output: 'London' }, { metric: 'rouge1' })).toBe(0);
    expect(await score({ output: '…!?', expected_output: 'London' }, { metric: 'bleu' })).toBe(0);
  });
});

describe('text_similarity skips', () => {
  it('skips with a mapping hint when an input is missing', async () => {
    expect(await run({ expected_output: 'x' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^output is missing/) });
    expect(await run({ output: 'x', expected_output: null })).toMatchObject({
      status: 'skipped',
      details: expect.stringContaining('"expected_output": "row.<column>"'),
    });
  });

  it.each([
    [{ output: '   ', expected_output: 'x' }, /^output is empty/],
    [{ output: 'x', expected_output: ' ' }, /^expected_output is empty/],
    [{ output: 'x', expected_output: [] }, /^expected_output is empty/],
    [{ output: 'x', expected_output: ['', null] }, /^expected_output is empty/],
    [{ output: 'x'.repeat(MAX_TEXT_CHARS + 1), expected_output: 'x' }, /^output is 20001 characters; at most 20000/],
    [{ output: 'x', expected_output: ['a', 'x'.repeat(MAX_TEXT_CHARS + 1)] }, /^expected_output is 20001 characters/],
    [{ output: 'x', expected_output: Array<string>(6).fill('x'.repeat(MAX_REFERENCE_CHARS / 5)) }, /^expected_output's references total 120000 characters; at most 100000/],
    [{ output: 'x', expected_output: Array<string>(51).fill('a') }, /^expected_output has 51 references; at most 50/],
  ])('skips %#', async (inputs, message) => {
    const result = await run(inputs as EvaluatorInputs);
    expect(result.status).toBe('skipped');
    expect(result.details).toMatch(message);
  });
});

describe('bleu_score (ragas/bleu_score)', () => {
  it('has no settings', () => {
    expect(bleuScore.settings.parse({})).toEqual({});
  });

  it('reproduces sacreBLEU on a single segment (test_sentence_bleu.py #98: exp smoothing → 8.493)', async () => {
    const result = await runWith(bleuScore, {
      output: 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;',
      expected_output: 'producţia de zahăr brut se exprimă în zahăr alb;',
    });
    expect(result.status).toBe('processed');
    // The test's tolerance, 1e-3 on the 0–100 scale.
    expect(Math.abs((result as { score: number }).score * 100 - 8.493)).toBeLessThan(1e-3);
    expect(result.details).toContain('smoothing exponential');
  });

  it('is case-sensitive and gives 0 below four tokens, as corpus_bleu does', async () => {
    // test_bleu.py test_raw_bleu_cases: 'this is a test' vs itself → 1.0
    expect(await runWith(bleuScore, { output: 'this is a test', expected_output: 'this is a test' })).toMatchObject({ score: 1 });
    // Worked from compute_bleu: precisions 3/4, 2/3, 1/2 and the 4-gram's exp-smoothed 1/(2·1).
    const capital = await runWith(bleuScore, { output: 'This is a test', expected_output: 'this is a test' });
    expect(capital).toMatchObject({ score: expect.closeTo(Math.pow((3 / 4) * (2 / 3) * (1 / 2) * (1 / 2), 0.25), 12) });
    expect(await runWith(bleuScore, { output: 'Paris', expected_output: 'Paris' })).toMatchObject({ status: 'processed', score: 0 });
  });

  it('treats a list as one reference text (LangWatch types expected_output as a string)', async () => {
    expect(await runWith(bleuScore, { output: '["a","b","c","d"]', expected_output: ['a', 'b', 'c', 'd'] })).toMatchObject({ score: 1 });
  });
});

describe('rouge_score (ragas/rouge_score)', () => {
  it('defaults and settings as LangWatch has them', () => {
    expect(rougeScore.settings.parse({})).toEqual({ rouge_type: 'rouge1', measure_type: 'fmeasure' });
    expect(rougeScore.settings.safeParse({ rouge_type: 'rouge2' }).error?.issues[0]?.path).toEqual(['rouge_type']);
    expect(rougeScore.settings.safeParse({ measure_type: 'f1' }).error?.issues[0]?.path).toEqual(['measure_type']);
  });

  it('stems as Ragas does (use_stemmer=True): testRouge1AgainstRouge155WithStemming', async () => {
    const target =
      "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN";
    const prediction =
      "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD";
    const f = await runWith(rougeScore, { output: prediction, expected_output: target });
    expect((f as { score: number }).score).toBeCloseTo(0.52941, 5);
    expect(f.details).toContain('Porter-stemmed tokens');
    const recall = await runWith(rougeScore, { output: prediction, expected_output: target }, { measure_type: 'recall' });
    expect((recall as { score: number }).score).toBeCloseTo(0.42857, 5);
  });

  it('rougeL (rouge_scorer_test.py testRougeLConsecutive → F 0.8)', async () => {
    expect(await runWith(rougeScore, { output: 'testing one', expected_output: 'testing one two' }, { rouge_type: 'rougeL' })).toMatchObject({ score: expect.closeTo(0.8, 12) });
  });
});
