// Language detection with LangWatch's `lingua/language_detection` settings, computed by eld
// (Efficient Language Detector) instead of Lingua. Short texts and unclear detections are
// skipped, as in LangWatch; the detected language is reported as an upper-case ISO 639-1 code.
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult } from '../core/model/results.js';
import { missingInput, textInput, thrownMessage } from './inputs.js';
import { lazy } from './lazy.js';

/** LangWatch's 75 choices for expected_language (Lingua's languages with an ISO 639-1 code). */
const LANGWATCH_LANGUAGES = [
  'AF', 'AR', 'AZ', 'BE', 'BG', 'BN', 'BS', 'CA', 'CS', 'CY', 'DA', 'DE', 'EL', 'EN', 'EO', 'ES', 'ET', 'EU', 'FA',
  'FI', 'FR', 'GA', 'GU', 'HE', 'HI', 'HR', 'HU', 'HY', 'ID', 'IS', 'IT', 'JA', 'KA', 'KK', 'KO', 'LA', 'LG', 'LT',
  'LV', 'MI', 'MK', 'MN', 'MR', 'MS', 'NB', 'NL', 'NN', 'PA', 'PL', 'PT', 'RO', 'RU', 'SK', 'SL', 'SN', 'SO', 'SQ',
  'SR', 'ST', 'SV', 'SW', 'TA', 'TE', 'TH', 'TL', 'TN', 'TR', 'TS', 'UK', 'UR', 'VI', 'XH', 'YO', 'ZH', 'ZU',
] as const;
type Language = (typeof LANGWATCH_LANGUAGES)[number];

/**
 * The 60 languages eld tells apart (its README), upper-cased. eld has one Norwegian, `NO`,
 * which stands for both of Lingua's written forms, Bokmål (NB) and Nynorsk (NN).
 */
const ELD_LANGUAGES = new Set([
  'AM', 'AR', 'AZ', 'BE', 'BG', 'BN', 'CA', 'CS', 'DA', 'DE', 'EL', 'EN', 'ES', 'ET', 'EU', 'FA', 'FI', 'FR', 'GU', 'HE',
  'HI', 'HR', 'HU', 'HY', 'IS', 'IT', 'JA', 'KA', 'KN', 'KO', 'KU', 'LO', 'LT', 'LV', 'ML', 'MR', 'MS', 'NL', 'NO', 'OR',
  'PA', 'PL', 'PT', 'RO', 'RU', 'SK', 'SL', 'SQ', 'SR', 'SV', 'TA', 'TE', 'TH', 'TL', 'TR', 'UK', 'UR', 'VI', 'YO', 'ZH',
]);

/** eld's code for an expected language. */
const eldCode = (language: Language): string => (language === 'NB' || language === 'NN' ? 'NO' : language);

const settings = z
  .object({
    check_for: z
      .enum(['input_matches_output', 'output_matches_language'])
      .default('input_matches_output')
      .describe('input_matches_output: the output is in the language of the input; output_matches_language: the output is in expected_language'),
    expected_language: z
      .enum(LANGWATCH_LANGUAGES)
      .optional()
      .describe('Upper-case ISO 639-1 code the output must be in (also required of the output by input_matches_output when set)'),
    min_words: z.number().int().min(0).max(10_000).default(7).describe('Texts with fewer words are skipped: detection is unreliable on short text'),
    threshold: z.number().min(0).max(1).default(0.25).describe("Detections with eld's confidence (0–1) at or below this are skipped"),
  })
  .superRefine((s, ctx) => {
    if (s.check_for === 'output_matches_language' && s.expected_language === undefined) {
      ctx.addIssue({ code: 'custom', path: ['expected_language'], message: 'expected_language is required when check_for is "output_matches_language"' });
    }
    if (s.expected_language !== undefined && !ELD_LANGUAGES.has(eldCode(s.expected_language))) {
      ctx.addIssue({
        code: 'custom',
        path: ['expected_language'],
        message: `${s.expected_language} cannot be detected (eld knows ${LANGWATCH_LANGUAGES.filter((l) => ELD_LANGUAGES.has(eldCode(l))).join(', ')})`,
      });
    }
  });
type Settings = z.output<typeof settings>;

/** The part of eld's API used here (its typings do not export the loader interface). */
interface Detector {
  load(size: string): Promise<unknown>;
  enableTextCleanup(flag: boolean): void;
  detect(text: string): { language: string; getScores(): Record<string, number>; isReliable(): boolean };
}

/**
 * eld and its medium database (about 70 MB of heap), loaded once per process on first use — not
 * at import, so a server that never detects languages never pays for it (see ./lazy.ts). A
 * failed load is retried by the next evaluation.
 */
const detector = lazy(async (): Promise<Detector> => {
  const { eld } = await import('eld');
  const instance = (eld as unknown as { newInstance(): Detector }).newInstance();
  await instance.load('medium');
  // URLs, e-mail addresses and alphanumeric codes say nothing about the language.
  instance.enableTextCleanup(true);
  return instance;
});

/** LangWatch's count: words between spaces, or one per five UTF-8 bytes for scripts without spaces. */
function wordCount(text: string): number {
  const words = text.trim() === '' ? 0 : text.trim().split(/\s+/).length;
  return Math.max(words, Math.floor(Buffer.byteLength(text, 'utf8') / 5));
}

/** Why a text is too short to check, or undefined. */
function tooShort(text: string, field: 'input' | 'output', s: Settings): EvaluationResult | undefined {
  const words = wordCount(text);
  if (words >= s.min_words) return undefined;
  return { status: 'skipped', details: `${field} has ${words} word${words === 1 ? '' : 's'}, fewer than min_words ${s.min_words}: too short to tell its language` };
}

type Detection = { language: string; confidence: number } | { skipped: EvaluationResult };

function identify(d: Detector, text: string, field: 'input' | 'output', s: Settings): Detection {
  const result = d.detect(text);
  const language = result.language.toUpperCase();
  const confidence = result.language === '' ? 0 : (result.getScores()[result.language] ?? 0);
  // eld's own reliability test also rejects near-ties between two languages.
  if (language === '' || confidence <= s.threshold || !result.isReliable()) {
    const guess = language === '' ? 'no language' : `best guess ${language} at confidence ${confidence.toFixed(2)}`;
    return { skipped: { status: 'skipped', details: `could not tell the language of the ${field} (${guess}; threshold ${s.threshold})` } };
  }
  return { language, confidence };
}

const shown = (d: { language: string; confidence: number }) => `${d.language} (confidence ${d.confidence.toFixed(2)})`;

/** `language_detection` / `lingua/language_detection`: passed per check_for, label = the language. */
export const languageDetection: EvaluatorDefinition<typeof settings> = {
  id: 'language_detection',
  aliases: ['lingua/language_detection'],
  name: 'Language Detection',
  category: 'quality',
  description:
    'Detects the language of the output (and input) with eld: passes when the output is in the language of the input, ' +
    'or in expected_language. label is the detected language (ISO 639-1, upper case); short or unclear texts are skipped.',
  requiredInputs: ['output'],
  optionalInputs: ['input'],
  stringInputs: ['input', 'output'],
  settings,
  result: ['passed', 'label'],
  needsModel: false,
  // Always in the evaluator pool when there is one: detection is linear (≈ 20 ns a character,
  // 10 MB took 220 ms) but loading eld's database is one synchronous 0.4 s stall (and 70 MB of
  // heap) that then happens in a worker, which frees it when idle. A 1 KB detection costs about
  // the same either way (≈ 0.2 ms).
  inlineChars: () => 0,
  create(s, deps) {
    // Start loading now, so the first row does not wait for it; failures surface per row. With
    // an offload port every detection runs in the pool (see inlineChars), so nothing loads here.
    if (!deps.offload) detector().catch(() => undefined);
    const expected = s.expected_language === undefined ? undefined : eldCode(s.expected_language);
    const checkInput = s.check_for === 'input_matches_output';
    return {
      async evaluate(inputs): Promise<EvaluationResult> {
        const input = textInput(inputs.input);
        const output = textInput(inputs.output);
        if (checkInput && input === undefined) return missingInput('input');
        if (output === undefined) return missingInput('output');
        let d: Detector;
        try {
          d = await detector();
        } catch (error) {
          return { status: 'error', errorType: 'internal_error', details: `eld could not load its language data: ${thrownMessage(error)}` };
        }
        // LangWatch's order: both lengths, then the output's language, then the input's.
        const short = (checkInput ? tooShort(input!, 'input', s) : undefined) ?? tooShort(output, 'output', s);
        if (short) return short;
        const out = identify(d, output, 'output', s);
        if ('skipped' in out) return out.skipped;
        const source = checkInput ? identify(d, input!, 'input', s) : undefined;
        if (source && 'skipped' in source) return source.skipped;

        const inExpected = expected === undefined || out.language === expected;
        const wrongLanguage = inExpected ? '' : `; expected ${s.expected_language}`;
        if (source === undefined) {
          return { status: 'processed', passed: inExpected, label: out.language, details: `output language: ${shown(out)}${wrongLanguage}` };
        }
        const same = source.language === out.language;
        const details = `input language: ${shown(source)}, output language: ${shown(out)}${same ? '' : ': they differ'}${wrongLanguage}`;
        return { status: 'processed', passed: same && inExpected, label: source.language, details };
      },
    };
  },
};
