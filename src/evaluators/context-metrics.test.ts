// Context precision, recall and F1. The string and id modes need no model and are checked on
// worked examples whose similarities can be counted by hand; the LLM modes run against the fake
// OpenAI server with scripted verdicts, the expected scores computed here by ragas' formulas:
// average precision = Σ_k precision@k · v_k / (number of relevant contexts) (ragas docs,
// context_precision.md; Manning et al., Introduction to Information Retrieval §8.4), and
// recall = attributed statements ÷ statements (ragas docs, context_recall.md).
import { describe, expect, it } from 'vitest';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluatorInputs } from '../core/model/results.js';
import type { FakeChatRequest } from '../testing/fake-provider-core.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { useModelFakes } from '../testing/model-fakes-suite.js';
import { contextF1, contextPrecision, contextRecall, nonLlmContextPrecision, nonLlmContextRecall, stringSimilarity } from './context-metrics.js';

const fakes = useModelFakes();

function run(def: EvaluatorDefinition, settings: Record<string, unknown>, inputs: EvaluatorInputs) {
  const instance = def.create(def.settings.parse(settings), { sandbox: createFakeSandbox(), models: fakes().client });
  return instance.evaluate(inputs, { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal });
}

async function scoreOf(def: EvaluatorDefinition, settings: Record<string, unknown>, inputs: EvaluatorInputs): Promise<number> {
  const result = await run(def, settings, inputs);
  if (result.status !== 'processed' || result.score === undefined) throw new Error(`no score: ${JSON.stringify(result)}`);
  return result.score;
}

/** Answers every generation with `answer`, recording the requests. */
function answer(value: unknown): FakeChatRequest[] {
  const seen: FakeChatRequest[] = [];
  fakes().openai.setBehaviour({ respond: (request) => (seen.push(request), JSON.stringify(value)) });
  return seen;
}

describe('string similarity (1 − normalised distance, as ragas NonLLMStringSimilarity with rapidfuzz)', () => {
  it('matches the textbook examples', () => {
    // Wikipedia "Levenshtein distance": kitten → sitting takes 3 edits; normalised by 7.
    expect(stringSimilarity('levenshtein', 'kitten', 'sitting')).toBeCloseTo(1 - 3 / 7, 12);
    // Wikipedia "Hamming distance": karolin / kathrin differ in 3 of 7 positions.
    expect(stringSimilarity('hamming', 'karolin', 'kathrin')).toBeCloseTo(1 - 3 / 7, 12);
    // rapidfuzz Hamming pads the shorter string (pad=True): "abc" / "abcde" differ in 2 of 5.
    expect(stringSimilarity('hamming', 'abc', 'abcde')).toBeCloseTo(0.6, 12);
    // Wikipedia "Jaro–Winkler distance": MARTHA / MARHTA, Jaro = 17/18 ≈ 0.944,
    // Jaro-Winkler = 0.944 + 3 · 0.1 · (1 − 0.944) ≈ 0.961; DIXON / DICKSONX 0.767 and 0.813.
    expect(stringSimilarity('jaro', 'MARTHA', 'MARHTA')).toBeCloseTo(17 / 18, 12);
    expect(stringSimilarity('jaro_winkler', 'MARTHA', 'MARHTA')).toBeCloseTo(17 / 18 + 0.3 * (1 / 18), 12);
    expect(stringSimilarity('jaro', 'DIXON', 'DICKSONX')).toBeCloseTo((4 / 5 + 4 / 8 + 1) / 3, 12);
    expect(stringSimilarity('jaro_winkler', 'DIXON', 'DICKSONX')).toBeCloseTo((4 / 5 + 4 / 8 + 1) / 3 + 0.2 * (1 - (4 / 5 + 4 / 8 + 1) / 3), 12);
  });

  it('treats two empty strings as identical and an empty one as unlike anything (rapidfuzz)', () => {
    for (const measure of ['levenshtein', 'hamming', 'jaro', 'jaro_winkler'] as const) {
      expect(stringSimilarity(measure, '', '')).toBe(1);
      expect(stringSimilarity(measure, '', 'abc')).toBe(0);
    }
  });
});

describe('string mode (ragas NonLLMContextPrecisionWithReference / NonLLMContextRecall)', () => {
  // Same-length strings with no character in common at any position are at Levenshtein
  // similarity 0 from each other; identical ones at 1. Relevance per rank is then [1, 0, 1].
  const RANKED = { contexts: ['aaaa', 'cccc', 'bbbb'], expected_contexts: ['aaaa', 'bbbb'] };

  it('scores identical contexts 1 (the ragas docstring examples)', async () => {
    const same = { contexts: ['Paris is the capital of France.'], expected_contexts: ['Paris is the capital of France.'] };
    expect(await scoreOf(nonLlmContextPrecision, {}, same)).toBe(1);
    expect(await scoreOf(nonLlmContextRecall, {}, same)).toBe(1);
    expect(await scoreOf(contextF1, {}, same)).toBe(1);
  });

  it('averages precision@k over the relevant ranks, counts recalled expected contexts, and takes their F1', async () => {
    expect(await scoreOf(nonLlmContextPrecision, {}, RANKED)).toBeCloseTo((1 / 1 + 2 / 3) / 2, 12);
    expect(await scoreOf(nonLlmContextRecall, {}, RANKED)).toBe(1);
    const p = 5 / 6;
    expect(await scoreOf(contextF1, {}, RANKED)).toBeCloseTo((2 * p * 1) / (p + 1), 12);
    expect(await run(nonLlmContextPrecision, {}, RANKED)).toMatchObject({
      details: 'retrieved contexts with levenshtein similarity ≥ 0.5 to an expected context: 1, 3 of 3; average precision 0.833',
    });
    // A relevant context first scores higher than the same one ranked last.
    expect(await scoreOf(nonLlmContextPrecision, {}, { ...RANKED, contexts: ['cccc', 'aaaa'] })).toBeCloseTo(1 / 2, 12);
  });

  it('reports the recall of expected contexts that were not retrieved', async () => {
    const inputs = { contexts: ['aaaa'], expected_contexts: ['aaaa', 'bbbb', 'dddd'] };
    expect(await scoreOf(nonLlmContextRecall, {}, inputs)).toBeCloseTo(1 / 3, 12);
    expect(await run(nonLlmContextRecall, {}, inputs)).toMatchObject({ details: '1 of 3 expected contexts have a retrieved context with levenshtein similarity > 0.5' });
  });

  it('counts a similarity equal to the threshold for precision but not for recall, as ragas does', async () => {
    // abcd / abxy: 2 substitutions in 4 characters, similarity exactly 0.5. The ragas source keeps
    // `>=` in NonLLMContextPrecisionWithReference and `>` in NonLLMContextRecall.
    const inputs = { contexts: ['abcd'], expected_contexts: ['abxy'] };
    expect(await scoreOf(nonLlmContextPrecision, {}, inputs)).toBe(1);
    expect(await scoreOf(nonLlmContextRecall, {}, inputs)).toBe(0);
    expect(await scoreOf(contextF1, {}, inputs)).toBe(0);
  });

  it('applies distance_measure and similarity_threshold', async () => {
    const kitten = { contexts: ['kitten'], expected_contexts: ['sitting'] };
    expect(await scoreOf(nonLlmContextPrecision, {}, kitten)).toBe(1); // 4/7 ≥ 0.5
    expect(await scoreOf(nonLlmContextPrecision, { similarity_threshold: 0.6 }, kitten)).toBe(0);
    const martha = { contexts: ['MARTHA'], expected_contexts: ['MARHTA'] };
    expect(await scoreOf(nonLlmContextPrecision, { distance_measure: 'jaro', similarity_threshold: 0.95 }, martha)).toBe(0); // 0.944
    expect(await scoreOf(nonLlmContextPrecision, { distance_measure: 'jaro_winkler', similarity_threshold: 0.95 }, martha)).toBe(1); // 0.961
    expect(await scoreOf(nonLlmContextPrecision, { distance_measure: 'hamming' }, { contexts: ['karolin'], expected_contexts: ['kathrin'] })).toBe(1);
  });

  it('reads lists given as JSON text or LangWatch chunks, and drops blank contexts', async () => {
    expect(await scoreOf(contextF1, {}, { contexts: '["aaaa", "bbbb"]', expected_contexts: [{ content: 'aaaa' }, { content: 'bbbb' }, ''] })).toBe(1);
  });

  it('scores 0 when nothing was retrieved and skips when nothing is expected', async () => {
    expect(await run(contextF1, {}, { contexts: [], expected_contexts: ['a'] })).toMatchObject({ status: 'processed', score: 0 });
    expect(await scoreOf(nonLlmContextPrecision, {}, { contexts: [], expected_contexts: ['a'] })).toBe(0);
    expect(await run(nonLlmContextRecall, {}, { contexts: ['a'], expected_contexts: [] })).toMatchObject({ status: 'skipped', details: expect.stringContaining('expected_contexts is empty') });
    expect(await run(contextF1, {}, { contexts: ['a'] })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^expected_contexts is missing .*"expected_contexts": "row\.<column>"/) });
    expect(await run(contextF1, {}, { expected_contexts: ['a'] })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^contexts is missing/) });
  });

  it('gives the scores of the plain ragas formulas although it skips pairs that cannot change them', async () => {
    // Brute force here: every pair measured, best match per context, then AP and recall.
    const words = ['paris', 'france', 'capital', 'eiffel', 'tower', 'is', 'the', 'of', 'in', 'a'];
    const text = (seed: number) => Array.from({ length: 1 + (seed % 7) }, (_, k) => words[(seed * 3 + k * 7) % words.length]).join(' ');
    for (const measure of ['levenshtein', 'hamming', 'jaro', 'jaro_winkler'] as const) {
      for (const threshold of [0.3, 0.5, 0.7, 0.9]) {
        for (let seed = 0; seed < 12; seed++) {
          const contexts = [text(seed), text(seed + 5), text(seed + 11)];
          const expected_contexts = [text(seed + 1), text(seed + 4)];
          const sim = (a: string, b: string) => stringSimilarity(measure, a, b);
          const relevant = contexts.map((c) => Math.max(...expected_contexts.map((e) => sim(c, e))) >= threshold);
          let hits = 0;
          const ap = relevant.reduce((sum, r, k) => (r ? sum + ++hits / (k + 1) : sum), 0) / (hits || 1);
          const recall = expected_contexts.filter((e) => Math.max(...contexts.map((c) => sim(c, e))) > threshold).length / expected_contexts.length;
          const settings = { distance_measure: measure, similarity_threshold: threshold };
          expect(await scoreOf(nonLlmContextPrecision, settings, { contexts, expected_contexts })).toBeCloseTo(ap, 12);
          expect(await scoreOf(nonLlmContextRecall, settings, { contexts, expected_contexts })).toBeCloseTo(recall, 12);
        }
      }
    }
  });

  it('runs in the LLM-default definitions too when mode is string, without a model', async () => {
    expect(await scoreOf(contextPrecision, { mode: 'string' }, RANKED)).toBeCloseTo(5 / 6, 12);
    expect(await scoreOf(contextRecall, { mode: 'string' }, RANKED)).toBe(1);
    expect(fakes().openai.requests).toHaveLength(0);
  });
});

describe('id mode', () => {
  const IDS = { contexts: ['d1', { id: 'd7' }, 3], expected_contexts: ['d1', '3', { document_id: 'd9' }] };

  it('matches ids exactly: average precision, recall and F1', async () => {
    // Relevance per rank [1, 0, 1]; 2 of the 3 expected ids retrieved.
    expect(await scoreOf(nonLlmContextPrecision, { mode: 'id' }, IDS)).toBeCloseTo(5 / 6, 12);
    expect(await scoreOf(nonLlmContextRecall, { mode: 'id' }, IDS)).toBeCloseTo(2 / 3, 12);
    const [p, r] = [5 / 6, 2 / 3];
    expect(await scoreOf(contextF1, { mode: 'id' }, IDS)).toBeCloseTo((2 * p * r) / (p + r), 12);
    expect(await run(contextRecall, { mode: 'id' }, IDS)).toMatchObject({ details: '2 of 3 expected ids were retrieved' });
    expect(await scoreOf(nonLlmContextPrecision, { mode: 'id' }, { contexts: ['D1'], expected_contexts: ['d1'] })).toBe(0);
  });

  it('counts every chunk of a relevant document, and each expected id once', async () => {
    const inputs = { contexts: ['d1', 'd1'], expected_contexts: ['d1', 'd1', 'd2'] };
    expect(await scoreOf(nonLlmContextPrecision, { mode: 'id' }, inputs)).toBe(1);
    expect(await scoreOf(nonLlmContextRecall, { mode: 'id' }, inputs)).toBe(1 / 2);
  });

  it('skips when an item is not an id', async () => {
    expect(await run(nonLlmContextRecall, { mode: 'id' }, { contexts: ['d1', { title: 'x' }], expected_contexts: ['d1'] })).toMatchObject({
      status: 'skipped',
      details: 'contexts item 2 is not an id: in id mode give ids (strings or numbers) or objects with an "id"',
    });
  });
});

describe('context_precision, llm mode', () => {
  // The ragas docs' LLMContextPrecisionWithReference example.
  const EIFFEL = { input: 'Where is the Eiffel Tower located?', expected_output: 'The Eiffel Tower is located in Paris.' };
  const CONTEXTS = ['The Eiffel Tower is located in Paris.', 'Penguins live in Antarctica.', 'Paris is the capital of France.'];
  const verdict = (context: number, relevant: boolean) => ({ context, reasoning: `context ${context}`, relevant });

  it('scores the average precision of the judged relevance [1, 0, 1], whatever order the verdicts come in', async () => {
    const seen = answer({ verdicts: [verdict(3, true), verdict(1, true), verdict(2, false)] });
    const result = await run(contextPrecision, {}, { ...EIFFEL, contexts: CONTEXTS, output: 'ignored when expected_output is given' });
    expect(result).toMatchObject({ status: 'processed', details: 'contexts relevant to the expected_output: 1, 3 of 3; average precision 0.833' });
    expect(result.status === 'processed' && result.score).toBeCloseTo((1 / 1 + 2 / 3) / 2, 12);

    expect(seen).toHaveLength(1);
    expect(seen[0]!.prompt).toBe(
      `# Question\n${EIFFEL.input}\n\n# Contexts\n[1] ${CONTEXTS[0]}\n\n[2] ${CONTEXTS[1]}\n\n[3] ${CONTEXTS[2]}\n\n# Reference Answer\n${EIFFEL.expected_output}`,
    );
    const format = seen[0]!.body.response_format as { json_schema: { name: string; schema: { properties: { verdicts: { items: { properties: object } } } } } };
    expect(format.json_schema.name).toBe('context_verdicts');
    expect(Object.keys(format.json_schema.schema.properties.verdicts.items.properties)).toEqual(['context', 'reasoning', 'relevant']);
  });

  it('judges against the output when there is no expected_output, and reports the cost', async () => {
    const seen = answer({ verdicts: [verdict(1, true)] });
    fakes().openai.setBehaviour({ reportCost: () => 0.0015 });
    const result = await run(contextPrecision, {}, { input: EIFFEL.input, output: 'It is in Paris.', contexts: CONTEXTS.slice(0, 1) });
    expect(result).toEqual({ status: 'processed', score: 1, details: 'contexts relevant to the output: 1 of 1; average precision 1.000', cost: 0.0015 });
    expect(seen[0]!.prompt).toMatch(/# Answer\nIt is in Paris\.$/);
    expect(seen[0]!.messages[0]!.content).toContain('useful for arriving at the answer');
  });

  it('is an error when a context has no verdict or two', async () => {
    answer({ verdicts: [verdict(1, true), verdict(3, false)] });
    expect(await run(contextPrecision, {}, { ...EIFFEL, contexts: CONTEXTS })).toMatchObject({ status: 'error', errorType: 'invalid_output', details: 'openai/gpt-5-mini gave no verdict for contexts 2' });
    answer({ verdicts: [verdict(1, true), verdict(1, false), verdict(2, false)] });
    expect(await run(contextPrecision, {}, { ...EIFFEL, contexts: CONTEXTS })).toMatchObject({ status: 'error', errorType: 'invalid_output' });
    answer({ verdicts: [verdict(4, true)] });
    expect(await run(contextPrecision, {}, { ...EIFFEL, contexts: CONTEXTS })).toMatchObject({ status: 'error', details: expect.stringContaining('context 4 of 3') });
  });

  it('scores 0 without a call when no contexts were retrieved; skips without a call when inputs are missing', async () => {
    expect(await run(contextPrecision, {}, { ...EIFFEL, contexts: [] })).toEqual({ status: 'processed', score: 0, details: 'no contexts were retrieved' });
    expect(await run(contextPrecision, {}, { input: 'q', contexts: ['c'], output: ' ' })).toMatchObject({ status: 'skipped', details: expect.stringContaining('map expected_output') });
    expect(await run(contextPrecision, {}, { ...EIFFEL })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^contexts is missing/) });
    expect(await run(contextPrecision, {}, { contexts: ['c'], expected_output: 'x' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^input is missing/) });
    expect(fakes().openai.requests).toHaveLength(0);
  });

  it('errors when the model cannot be called', async () => {
    expect(await run(contextPrecision, { model: 'google/gemini-2.5-flash' }, { ...EIFFEL, contexts: CONTEXTS })).toMatchObject({ status: 'error', details: expect.stringContaining('GOOGLE_GENERATIVE_AI_API_KEY') });
  });
});

describe('context_recall, llm mode', () => {
  const ROW = {
    input: 'Tell me about the Eiffel Tower.',
    contexts: ['The Eiffel Tower is in Paris.', 'It was completed in 1889.'],
    expected_output: 'The Eiffel Tower is in Paris. It was completed in 1889. It is 330 m tall. It is made of wrought iron.',
  };
  const statement = (text: string, attributed: boolean) => ({ statement: text, reasoning: 'checked', attributed });

  it('scores attributed statements ÷ statements of expected_output (3 of 4)', async () => {
    const seen = answer({
      statements: [
        statement('The Eiffel Tower is in Paris.', true),
        statement('It was completed in 1889.', true),
        statement('It is 330 m tall.', false),
        statement('It is made of wrought iron.', true),
      ],
    });
    const result = await run(contextRecall, {}, ROW);
    expect(result).toMatchObject({ status: 'processed', score: 3 / 4, details: '3 of 4 statements of expected_output are found in the contexts; not found: "It is 330 m tall."' });
    expect(seen[0]!.prompt).toBe(`# Question\n${ROW.input}\n\n# Contexts\n[1] ${ROW.contexts[0]}\n\n[2] ${ROW.contexts[1]}\n\n# Reference Answer\n${ROW.expected_output}`);
    const schema = seen[0]!.schema as { properties: { statements: { items: { properties: object; required: string[] } } } };
    expect(Object.keys(schema.properties.statements.items.properties)).toEqual(['statement', 'reasoning', 'attributed']);
  });

  it('skips when expected_output has no statements (keeping the cost) or is missing or empty', async () => {
    answer({ statements: [] });
    fakes().openai.setBehaviour({ reportCost: () => 0.001 });
    expect(await run(contextRecall, {}, ROW)).toEqual({ status: 'skipped', details: 'expected_output states nothing that could be looked for in the contexts', cost: 0.001 });
    expect(await run(contextRecall, {}, { ...ROW, expected_output: null })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^expected_output is missing/) });
    expect(await run(contextRecall, {}, { ...ROW, expected_output: '' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^expected_output is empty/) });
  });

  it('scores 0 without a call when no contexts were retrieved', async () => {
    expect(await run(contextRecall, {}, { ...ROW, contexts: [] })).toMatchObject({ status: 'processed', score: 0 });
    expect(fakes().openai.requests).toHaveLength(0);
  });

  it('is an error when the provider keeps failing', async () => {
    fakes().openai.setBehaviour({ failRate: 1, failStatus: 503 });
    expect(await run(contextRecall, {}, ROW)).toMatchObject({ status: 'error', errorType: 'provider_error' });
  });
});

describe('settings', () => {
  it('default to llm mode for the LangWatch response_* ids and string mode for the non-LLM ids', () => {
    expect(contextPrecision.settings.parse({})).toEqual({
      mode: 'llm',
      model: 'openai/gpt-5-mini',
      max_tokens: 2048,
      distance_measure: 'levenshtein',
      similarity_threshold: 0.5,
    });
    expect(nonLlmContextRecall.settings.parse({})).toEqual({ mode: 'string', distance_measure: 'levenshtein', similarity_threshold: 0.5 });
    expect(contextF1.settings.parse({ distance_measure: 'jaro_winkler' })).toMatchObject({ distance_measure: 'jaro_winkler' });
  });

  const DEFS = { context_precision: contextPrecision, context_recall: contextRecall, nonllm_context_recall: nonLlmContextRecall, context_f1: contextF1 };
  it.each([
    ['context_precision', { mode: 'fuzzy' }, ['mode']],
    ['context_recall', { model: 'gpt-4o' }, ['model']],
    ['context_recall', { max_tokens: -1 }, ['max_tokens']],
    ['nonllm_context_recall', { mode: 'llm' }, ['mode']],
    ['context_f1', { distance_measure: 'cosine' }, ['distance_measure']],
    ['context_f1', { similarity_threshold: 1.5 }, ['similarity_threshold']],
  ] as const)('%s refuses %j at %j', (id, settings, path) => {
    const parsed = DEFS[id].settings.safeParse(settings);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(path);
  });
});
