// faithfulness and answer_relevancy against the fake OpenAI and Anthropic servers through the
// real ModelClient: the model's answers are scripted per structured-output schema, and the
// expected scores are computed here from the scripted verdicts by ragas' formulas.
import { calcPrice } from '@pydantic/genai-prices';
import { cosineSimilarity } from 'ai';
import { describe, expect, it } from 'vitest';
import type { EvaluatorDefinition, ModelClient } from '../core/model/adapters.js';
import type { EvaluatorInputs } from '../core/model/results.js';
import { fakeEmbedding } from '../testing/fake-openai.js';
import { approxTokens, type FakeChatRequest, type FakeLlmProvider } from '../testing/fake-provider-core.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { useModelFakes } from '../testing/model-fakes-suite.js';
import { answerRelevancy, faithfulness } from './rag.js';

const fakes = useModelFakes();

function run(def: EvaluatorDefinition, settings: Record<string, unknown>, inputs: EvaluatorInputs, options: { models?: ModelClient; signal?: AbortSignal } = {}) {
  const instance = def.create(def.settings.parse(settings), { sandbox: createFakeSandbox(), models: options.models ?? fakes().client });
  return instance.evaluate(inputs, { row: {}, target: { id: 't', durationMs: 1 }, signal: options.signal ?? new AbortController().signal });
}

/** The schema's property names: which of the evaluator's calls a request is. */
const kindOf = (request: FakeChatRequest) => Object.keys((request.schema?.properties ?? {}) as object).join(',');

interface Seen {
  request: FakeChatRequest;
  /** The fake's own token counts of what it received and sent (about four characters a token). */
  inputTokens: number;
  outputTokens: number;
}

/** Answers each call by its schema; records every generation request in order. */
function script(fake: FakeLlmProvider, answers: Record<string, unknown>): Seen[] {
  const seen: Seen[] = [];
  fake.setBehaviour({
    respond: (request) => {
      if (!(kindOf(request) in answers)) throw new Error(`unscripted call ${kindOf(request)}`);
      const answer = answers[kindOf(request)];
      const text = typeof answer === 'string' ? answer : JSON.stringify(answer);
      seen.push({ request, inputTokens: approxTokens(request.messages.map((m) => m.content).join('')), outputTokens: approxTokens(text) });
      return text;
    },
  });
  return seen;
}

const generations = (fake: FakeLlmProvider) => fake.requests.filter((r) => r.kind !== 'embeddings');
const embeddingCalls = () => fakes().openai.requests.filter((r) => r.kind === 'embeddings');

// The worked example of the ragas docs (docs/concepts/metrics/available_metrics/faithfulness.md,
// "How It's Calculated"): two statements, one supported, faithfulness = 1/2.
const EINSTEIN = {
  input: 'Where and when was Einstein born?',
  output: 'Einstein was born in Germany on 20th March 1879.',
  contexts: [
    'Albert Einstein (born 14 March 1879) was a German-born theoretical physicist, widely held to be one of the greatest and most influential scientists of all time',
  ],
};
const CLAIMS = ['Einstein was born in Germany.', 'Einstein was born on 20th March 1879.'];
const VERDICTS = {
  verdicts: [
    { claim: CLAIMS[0], reasoning: 'The context says German-born.', supported: true },
    { claim: CLAIMS[1], reasoning: 'The context gives 14 March 1879.', supported: false },
  ],
};

describe('faithfulness', () => {
  it('scores supported claims ÷ claims (ragas worked example: 1/2) from two calls', async () => {
    const seen = script(fakes().openai, { 'claims,dont_know': { claims: CLAIMS, dont_know: false }, verdicts: VERDICTS });
    const result = await run(faithfulness, {}, EINSTEIN);
    expect(result).toMatchObject({ status: 'processed', score: 1 / 2 });
    expect(result.details).toBe(
      '1 of 2 claims are supported by the contexts; not supported: "Einstein was born on 20th March 1879." (The context gives 14 March 1879.)',
    );
    expect(seen).toHaveLength(2);

    const [extract, verify] = seen.map((s) => s.request);
    expect(extract!.model).toBe('gpt-5-mini');
    expect(extract!.prompt).toBe(`# Question\n${EINSTEIN.input}\n\n# Answer\n${EINSTEIN.output}`);
    expect(extract!.messages[0]!.content).toContain('"dont_know"');
    // The contexts and the extracted claims are numbered in the verification prompt.
    expect(verify!.prompt).toBe(`# Contexts\n[1] ${EINSTEIN.contexts[0]}\n\n# Claims\n[1] ${CLAIMS[0]}\n\n[2] ${CLAIMS[1]}`);
    const format = verify!.body.response_format as { json_schema: { name: string; schema: { properties: { verdicts: { items: Record<string, unknown> } } } } };
    expect(format.json_schema.name).toBe('claim_verdicts');
    // Reasoning before the verdict, in a strict schema.
    const item = format.json_schema.schema.properties.verdicts.items;
    expect(Object.keys(item.properties as object)).toEqual(['claim', 'reasoning', 'supported']);
    expect(item).toMatchObject({ required: ['claim', 'reasoning', 'supported'], additionalProperties: false });
  });

  it('asks for temperature 0 in every call (gpt-5 models drop it, so another model is used)', async () => {
    script(fakes().openai, { 'claims,dont_know': { claims: CLAIMS, dont_know: false }, verdicts: VERDICTS });
    await run(faithfulness, { model: 'openai/gpt-4o-mini' }, EINSTEIN);
    const bodies = generations(fakes().openai).map((r) => r.body as { temperature?: number });
    expect(bodies.map((b) => b.temperature)).toEqual([0, 0]);
  });

  it('reports the sum of both calls costs, priced from the table', async () => {
    const seen = script(fakes().openai, { 'claims,dont_know': { claims: CLAIMS, dont_know: false }, verdicts: VERDICTS });
    const result = await run(faithfulness, {}, EINSTEIN);
    const price = (s: Seen) => calcPrice({ input_tokens: s.inputTokens, output_tokens: s.outputTokens }, 'gpt-5-mini', { providerId: 'openai' })!.total_price;
    expect(result.cost).toBeCloseTo(price(seen[0]!) + price(seen[1]!), 15);
  });

  it('skips an "I don\'t know" output after the extraction call, keeping its cost', async () => {
    script(fakes().openai, { 'claims,dont_know': { claims: ['The assistant could not find information on changing the account email.'], dont_know: true } });
    fakes().openai.setBehaviour({ reportCost: () => 0.0007 });
    // LangWatch's own example (langevals tests, test_faithfulness_should_be_skipped_if_dont_know).
    const result = await run(faithfulness, {}, {
      output: "I couldn't find any information on changing your account email. Can I help you with anything else today?",
      contexts: ['Our company XPTO was founded in 2024.'],
    });
    expect(result).toEqual({ status: 'skipped', details: expect.stringContaining('autodetect_dont_know'), cost: 0.0007 });
    expect(generations(fakes().openai)).toHaveLength(1);
  });

  it('scores such an output when autodetect_dont_know is off, without asking for the flag', async () => {
    const claim = 'The assistant could not find information on changing the account email.';
    const seen = script(fakes().openai, {
      claims: { claims: [claim] },
      verdicts: { verdicts: [{ claim, reasoning: 'The context is about the founding year.', supported: false }] },
    });
    const result = await run(faithfulness, { autodetect_dont_know: false }, { output: "I couldn't find that.", contexts: ['Our company XPTO was founded in 2024.'] });
    expect(result).toMatchObject({ status: 'processed', score: 0 });
    expect(seen[0]!.request.messages[0]!.content).not.toContain('dont_know');
  });

  it('skips when the output states no claims', async () => {
    script(fakes().openai, { 'claims,dont_know': { claims: ['  '], dont_know: false } });
    expect(await run(faithfulness, {}, { output: 'Hello!', contexts: ['x'] })).toMatchObject({ status: 'skipped', details: expect.stringContaining('no claims') });
    expect(generations(fakes().openai)).toHaveLength(1);
  });

  it('scores 0 without a verification call when there are no contexts', async () => {
    script(fakes().openai, { 'claims,dont_know': { claims: CLAIMS, dont_know: false } });
    const result = await run(faithfulness, {}, { output: EINSTEIN.output, contexts: ['', '  '] });
    expect(result).toMatchObject({ status: 'processed', score: 0, details: 'no contexts were given, so none of the 2 claims is supported' });
    expect(generations(fakes().openai)).toHaveLength(1);
  });

  it('reads contexts given as one string, as JSON text of a list, or as LangWatch chunks', async () => {
    const answers = { 'claims,dont_know': { claims: ['a'], dont_know: false }, verdicts: { verdicts: [{ claim: 'a', reasoning: 'r', supported: true }] } };
    const cases: [unknown, string][] = [
      ['Paris is in France.', '[1] Paris is in France.'],
      ['["First.", "Second."]', '[1] First.\n\n[2] Second.'],
      [[{ document_id: 'd1', content: 'From a chunk.' }, null, { title: 'Other' }], '[1] From a chunk.\n\n[2] {"title":"Other"}'],
    ];
    for (const [contexts, shown] of cases) {
      const seen = script(fakes().openai, answers);
      expect(await run(faithfulness, {}, { output: 'a', contexts })).toMatchObject({ status: 'processed', score: 1 });
      expect(seen[1]!.request.prompt).toBe(`# Contexts\n${shown}\n\n# Claims\n[1] a`);
    }
  });

  it('is an error when the verdicts do not match the claims, with the cost spent', async () => {
    script(fakes().openai, { 'claims,dont_know': { claims: CLAIMS, dont_know: false }, verdicts: { verdicts: VERDICTS.verdicts.slice(0, 1) } });
    fakes().openai.setBehaviour({ reportCost: () => 0.001 });
    const result = await run(faithfulness, {}, EINSTEIN);
    expect(result).toMatchObject({ status: 'error', errorType: 'invalid_output', details: 'openai/gpt-5-mini returned 1 verdicts for 2 claims' });
    expect(result.cost).toBeCloseTo(0.002, 12);
  });

  it('is an error naming the field when a verdict has the wrong type', async () => {
    script(fakes().openai, { 'claims,dont_know': { claims: ['a'], dont_know: false }, verdicts: { verdicts: [{ claim: 'a', reasoning: 'r', supported: 'yes' }] } });
    const result = await run(faithfulness, {}, { output: 'a', contexts: ['b'] });
    expect(result).toMatchObject({ status: 'error', errorType: 'invalid_output', details: expect.stringMatching(/^openai\/gpt-5-mini returned invalid claim_verdicts: verdicts\.0\.supported: /) });
  });

  it('skips without a call when output or contexts are missing, or the output is empty', async () => {
    expect(await run(faithfulness, {}, { contexts: ['x'] })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^output is missing/) });
    expect(await run(faithfulness, {}, { output: 'x' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^contexts is missing/) });
    expect(await run(faithfulness, {}, { output: ' ', contexts: ['x'] })).toMatchObject({ status: 'skipped', details: 'output is empty: there are no claims to check' });
    expect(fakes().openai.requests).toHaveLength(0);
  });

  it('skips rows whose contexts are over max_tokens before the first call', async () => {
    const result = await run(faithfulness, { max_tokens: 100 }, { output: 'short', contexts: ['x'.repeat(800)] });
    expect(result).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^input is about \d+ tokens, above max_tokens 100/) });
    expect(fakes().openai.requests).toHaveLength(0);
  });

  it('runs on an Anthropic model with the same schemas', async () => {
    const seen = script(fakes().anthropic, { 'claims,dont_know': { claims: CLAIMS, dont_know: false }, verdicts: VERDICTS });
    expect(await run(faithfulness, { model: 'anthropic/claude-haiku-4-5' }, EINSTEIN)).toMatchObject({ status: 'processed', score: 0.5 });
    expect(seen.map((s) => s.request.messages[0]!.role)).toEqual(['system', 'system']);
  });

  it('errors when the provider is not configured or its key is missing, on a rejected key or a 5xx', async () => {
    expect(await run(faithfulness, { model: 'google/gemini-2.5-flash' }, EINSTEIN)).toMatchObject({ status: 'error', details: expect.stringContaining('GOOGLE_GENERATIVE_AI_API_KEY') });
    const keyless = fakes().clientWith({ openai: { baseUrl: fakes().openai.baseURL } });
    expect(await run(faithfulness, {}, EINSTEIN, { models: keyless })).toMatchObject({ status: 'error', details: expect.stringContaining('OPENAI_API_KEY') });
    expect(fakes().openai.requests).toHaveLength(0);

    const wrongKey = fakes().clientWith({ openai: { apiKey: 'sk-wrong', baseUrl: fakes().openai.baseURL } });
    expect(await run(faithfulness, {}, EINSTEIN, { models: wrongKey })).toMatchObject({ status: 'error', errorType: 'provider_auth' });
    fakes().openai.setBehaviour({ failRate: 1, failStatus: 500 });
    expect(await run(faithfulness, {}, EINSTEIN)).toMatchObject({ status: 'error', errorType: 'provider_error', details: expect.stringContaining('HTTP 500') });
  });

  it('rethrows when the run is aborted', async () => {
    fakes().openai.setBehaviour({ hangRate: 1 });
    const controller = new AbortController();
    const pending = run(faithfulness, {}, EINSTEIN, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('run stopped')), 50);
    await expect(pending).rejects.toThrow();
  });
});

// The ragas docs' example (answer_relevance.md, "How It's Calculated"): questions reconstructed
// from the low-relevance answer; the score is their mean cosine similarity to the question.
const FRANCE = { input: "Where is France and what is it's capital?", output: 'France is in western Europe.' };
const QUESTIONS = [
  'In which part of Europe is France located?',
  'What is the geographical location of France within Europe?',
  'Can you identify the region of Europe where France is situated?',
];

describe('answer_relevancy', () => {
  it('scores the mean cosine similarity of the generated questions to the input, from one embeddings call', async () => {
    const seen = script(fakes().openai, { 'questions,noncommittal': { questions: QUESTIONS, noncommittal: false } });
    const result = await run(answerRelevancy, {}, FRANCE);
    // The fake embeds deterministically; the mean is computed here from its vectors.
    const expected = QUESTIONS.map((q) => cosineSimilarity(fakeEmbedding(FRANCE.input), fakeEmbedding(q))).reduce((a, b) => a + b, 0) / 3;
    expect(result.status).toBe('processed');
    expect(result.status === 'processed' && result.score).toBeCloseTo(expected, 12);
    expect(result.details).toMatch(/^mean cosine similarity -?\d\.\d{3} between the input and 3 questions generated from the output: "In which part/);

    // The generator sees the answer only, never the question it must reconstruct.
    expect(seen[0]!.request.prompt).toBe(`# Answer\n${FRANCE.output}`);
    expect(seen[0]!.request.messages.map((m) => m.content).join('')).not.toContain(FRANCE.input);
    const embeds = embeddingCalls();
    expect(embeds).toHaveLength(1);
    expect(embeds[0]!.body).toMatchObject({ model: 'text-embedding-ada-002', input: [FRANCE.input, ...QUESTIONS] });
  });

  it('scores a noncommittal output 0 without embedding (as ragas)', async () => {
    script(fakes().openai, { 'questions,noncommittal': { questions: ['What is the capital of France?'], noncommittal: true } });
    const result = await run(answerRelevancy, {}, { input: 'What is the capital of France?', output: "I'm not sure." });
    expect(result).toMatchObject({ status: 'processed', score: 0, details: expect.stringContaining('noncommittal') });
    expect(embeddingCalls()).toHaveLength(0);
  });

  it('adds the generation and the embeddings costs', async () => {
    script(fakes().openai, { 'questions,noncommittal': { questions: QUESTIONS, noncommittal: false } });
    fakes().openai.setBehaviour({ reportCost: (_usage, model) => (model.startsWith('text-embedding') ? 0.0001 : 0.002) });
    expect((await run(answerRelevancy, {}, FRANCE)).cost).toBeCloseTo(0.0021, 12);
  });

  it('reports the known cost only when the other call has no price, and none when neither has', async () => {
    script(fakes().openai, { 'questions,noncommittal': { questions: QUESTIONS, noncommittal: false } });
    const result = await run(answerRelevancy, { model: 'openai/not-a-real-model-xyz' }, FRANCE);
    const tokens = approxTokens([FRANCE.input, ...QUESTIONS].join(''));
    expect(result.cost).toBeCloseTo(calcPrice({ input_tokens: tokens, output_tokens: 0 }, 'text-embedding-ada-002', { providerId: 'openai' })!.total_price, 15);
    // The generation had no price: counted, so the cost reads as "at least".
    expect(result.unpricedCalls).toBe(1);
    const none = await run(answerRelevancy, { model: 'openai/not-a-real-model-xyz', embeddings_model: 'openai/not-an-embedder-xyz' }, FRANCE);
    expect(none.status).toBe('processed');
    expect(none).not.toHaveProperty('cost');
    expect(none.unpricedCalls).toBe(2);
  });

  it('errors before any call when the embeddings model cannot be called', async () => {
    const result = await run(answerRelevancy, { embeddings_model: 'google/text-embedding-004' }, FRANCE);
    expect(result).toMatchObject({ status: 'error', details: expect.stringContaining('google/text-embedding-004') });
    expect(fakes().openai.requests).toHaveLength(0);
  });

  it('is an error when no questions come back from a committal answer', async () => {
    script(fakes().openai, { 'questions,noncommittal': { questions: [], noncommittal: false } });
    expect(await run(answerRelevancy, {}, FRANCE)).toMatchObject({ status: 'error', errorType: 'invalid_output' });
  });

  it('skips without a call when input or output is missing or empty', async () => {
    expect(await run(answerRelevancy, {}, { output: 'x' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^input is missing/) });
    expect(await run(answerRelevancy, {}, { input: 'q', output: '' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^output is empty/) });
    expect(await run(answerRelevancy, {}, { input: ' ', output: 'a' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^input is empty/) });
    expect(fakes().openai.requests).toHaveLength(0);
  });

  it('is an error when the embeddings call fails', async () => {
    script(fakes().openai, { 'questions,noncommittal': { questions: QUESTIONS, noncommittal: false } });
    fakes().openai.setBehaviour({ models: { 'text-embedding-ada-002': { failRate: 1, failStatus: 500 } } });
    expect(await run(answerRelevancy, {}, FRANCE)).toMatchObject({ status: 'error', errorType: 'provider_error' });
  });
});

describe('settings', () => {
  it('default to LangWatch settings', () => {
    expect(faithfulness.settings.parse({})).toEqual({ model: 'openai/gpt-5-mini', max_tokens: 2048, autodetect_dont_know: true });
    expect(answerRelevancy.settings.parse({})).toEqual({ model: 'openai/gpt-5-mini', max_tokens: 2048, embeddings_model: 'openai/text-embedding-ada-002' });
  });

  const DEFS = { faithfulness, answer_relevancy: answerRelevancy };
  it.each([
    ['faithfulness', { autodetect_dont_know: 'yes' }, ['autodetect_dont_know']],
    ['faithfulness', { model: 'gpt-5-mini' }, ['model']],
    ['faithfulness', { max_tokens: 0 }, ['max_tokens']],
    ['answer_relevancy', { embeddings_model: 'ada' }, ['embeddings_model']],
    ['answer_relevancy', { max_tokens: 1_048_577 }, ['max_tokens']],
  ] as const)('%s refuses %j at %j', (id, settings, path) => {
    const parsed = DEFS[id].settings.safeParse(settings);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(path);
  });
});
