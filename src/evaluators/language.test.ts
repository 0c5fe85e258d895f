// language_detection (lingua/language_detection) on eld's medium database.
import { describe, expect, it } from 'vitest';
import type { EvaluatorContext, EvaluatorInputs } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { noModels } from '../testing/no-models.js';
import { languageDetection } from './language.js';

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal };

function run(inputs: EvaluatorInputs, settings: Record<string, unknown> = {}) {
  return languageDetection.create(languageDetection.settings.parse(settings), { sandbox: createFakeSandbox(), models: noModels }).evaluate(inputs, context);
}

// Article 1 of the Universal Declaration of Human Rights in its official translations
// (OHCHR, https://www.ohchr.org/en/human-rights/universal-declaration/translations/…, and the
// Unicode UDHR-in-Unicode corpus, https://unicode.org/udhr/). The language of each is known.
const UDHR_1: Record<string, string> = {
  EN: 'All human beings are born free and equal in dignity and rights. They are endowed with reason and conscience and should act towards one another in a spirit of brotherhood.',
  FR: 'Tous les êtres humains naissent libres et égaux en dignité et en droits. Ils sont doués de raison et de conscience et doivent agir les uns envers les autres dans un esprit de fraternité.',
  ES: 'Todos los seres humanos nacen libres e iguales en dignidad y derechos y, dotados como están de razón y conciencia, deben comportarse fraternalmente los unos con los otros.',
  DE: 'Alle Menschen sind frei und gleich an Würde und Rechten geboren. Sie sind mit Vernunft und Gewissen begabt und sollen einander im Geist der Brüderlichkeit begegnen.',
  IT: 'Tutti gli esseri umani nascono liberi ed eguali in dignità e diritti. Essi sono dotati di ragione e di coscienza e devono agire gli uni verso gli altri in spirito di fratellanza.',
  PT: 'Todos os seres humanos nascem livres e iguais em dignidade e em direitos. Dotados de razão e de consciência, devem agir uns para com os outros em espírito de fraternidade.',
  NL: 'Alle mensen worden vrij en gelijk in waardigheid en rechten geboren. Zij zijn begiftigd met verstand en geweten, en behoren zich jegens elkander in een geest van broederschap te gedragen.',
  RU: 'Все люди рождаются свободными и равными в своем достоинстве и правах. Они наделены разумом и совестью и должны поступать в отношении друг друга в духе братства.',
  ZH: '人人生而自由,在尊严和权利上一律平等。他们赋有理性和良心,并应以兄弟关系的精神相对待。',
  JA: 'すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。人間は、理性と良心とを授けられており、互いに同胞の精神をもって行動しなければならない。',
  // Norwegian Bokmål.
  NB: 'Alle mennesker er født frie og med samme menneskeverd og menneskerettigheter. De er utstyrt med fornuft og samvittighet og bør handle mot hverandre i brorskapets ånd.',
};

describe('language_detection (lingua/language_detection)', () => {
  it.each(['EN', 'FR', 'ES', 'DE', 'IT', 'PT', 'NL', 'RU', 'ZH', 'JA'])('detects UDHR article 1 in %s', async (code) => {
    const result = await run({ output: UDHR_1[code] }, { check_for: 'output_matches_language', expected_language: code });
    expect(result).toMatchObject({ status: 'processed', passed: true, label: code });
    expect(result.details).toMatch(new RegExp(`^output language: ${code} \\(confidence 0\\.\\d\\d\\)$`));
  });

  it('output_matches_language fails for another language and labels the one found', async () => {
    const result = await run({ output: UDHR_1.FR }, { check_for: 'output_matches_language', expected_language: 'EN' });
    expect(result).toMatchObject({ status: 'processed', passed: false, label: 'FR' });
    expect(result.details).toMatch(/^output language: FR \(confidence 0\.\d\d\); expected EN$/);
  });

  it('input_matches_output (the default) compares both and labels the input, as LangWatch does', async () => {
    expect(await run({ input: UDHR_1.EN, output: UDHR_1.EN })).toMatchObject({ status: 'processed', passed: true, label: 'EN' });
    const differ = await run({ input: UDHR_1.EN, output: UDHR_1.FR });
    expect(differ).toMatchObject({ status: 'processed', passed: false, label: 'EN' });
    expect(differ.details).toMatch(/^input language: EN \(confidence 0\.\d\d\), output language: FR \(confidence 0\.\d\d\): they differ$/);
  });

  it('input_matches_output with expected_language also requires the output to be in it', async () => {
    expect(await run({ input: UDHR_1.DE, output: UDHR_1.DE }, { expected_language: 'DE' })).toMatchObject({ passed: true });
    const result = await run({ input: UDHR_1.FR, output: UDHR_1.FR }, { expected_language: 'DE' });
    expect(result).toMatchObject({ status: 'processed', passed: false, label: 'FR' });
    expect(result.details).toContain('; expected DE');
  });

  it("maps LangWatch's NB and NN to eld's single Norwegian", async () => {
    for (const expected_language of ['NB', 'NN']) {
      expect(await run({ output: UDHR_1.NB }, { check_for: 'output_matches_language', expected_language })).toMatchObject({ passed: true, label: 'NO' });
    }
  });

  it('skips texts under min_words, counting one word per five UTF-8 bytes in scripts without spaces', async () => {
    const short = await run({ input: 'Bonjour à tous', output: UDHR_1.FR });
    expect(short).toEqual({ status: 'skipped', details: 'input has 3 words, fewer than min_words 7: too short to tell its language' });
    expect(await run({ input: UDHR_1.FR, output: 'Merci' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^output has 1 word, fewer/) });
    // 你好世界 is 12 bytes: two "words".
    expect(await run({ output: '你好世界' }, { check_for: 'output_matches_language', expected_language: 'ZH' })).toMatchObject({ status: 'skipped' });
    expect(await run({ output: 'Bonjour à tous' }, { check_for: 'output_matches_language', expected_language: 'FR', min_words: 2 })).toMatchObject({ status: 'processed', label: 'FR' });
  });

  it('skips when it cannot tell the language (no language, or confidence at or below threshold)', async () => {
    const gibberish = await run({ input: UDHR_1.EN, output: 'zxq vvk qqpt xkcd zzkj ptkq vvx wq' });
    expect(gibberish).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^could not tell the language of the output/) });
    const strict = await run({ input: UDHR_1.EN, output: UDHR_1.EN }, { threshold: 0.99 });
    expect(strict).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^could not tell the language of the output \(best guess EN at confidence 0\.\d\d; threshold 0\.99\)$/) });
  });

  it('skips with a mapping hint when a needed input is missing', async () => {
    expect(await run({ output: UDHR_1.EN })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^input is missing/) });
    expect(await run({ input: UDHR_1.EN, output: null })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^output is missing/) });
    // output_matches_language does not read the input.
    expect(await run({ output: UDHR_1.EN }, { check_for: 'output_matches_language', expected_language: 'EN' })).toMatchObject({ passed: true });
  });

  it("has LangWatch's settings and defaults and refuses bad ones with the field's path", () => {
    expect(languageDetection.settings.parse({})).toEqual({ check_for: 'input_matches_output', min_words: 7, threshold: 0.25 });
    const issues = (settings: unknown) => languageDetection.settings.safeParse(settings).error?.issues.map((i) => [i.path, i.message]);
    expect(issues({ check_for: 'same' })?.[0]?.[0]).toEqual(['check_for']);
    expect(issues({ expected_language: 'en' })?.[0]?.[0]).toEqual(['expected_language']);
    expect(issues({ check_for: 'output_matches_language' })).toEqual([[['expected_language'], 'expected_language is required when check_for is "output_matches_language"']]);
    // In LangWatch's list but not among eld's languages.
    expect(issues({ expected_language: 'SW' })?.[0]).toEqual([['expected_language'], expect.stringMatching(/^SW cannot be detected \(eld knows AR, AZ, /)]);
    expect(issues({ min_words: -1 })?.[0]?.[0]).toEqual(['min_words']);
    expect(issues({ threshold: 2 })?.[0]?.[0]).toEqual(['threshold']);
  });
});
