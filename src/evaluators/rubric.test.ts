// rubric_score against the fake OpenAI server through the real ModelClient: the rubric the
// judge reads, the level it may choose, per-row rubrics (ragas InstanceRubrics) and failures.
import { describe, expect, it } from 'vitest';
import type { EvaluatorInputs } from '../core/model/results.js';
import type { FakeChatRequest } from '../testing/fake-provider-core.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { useModelFakes } from '../testing/model-fakes-suite.js';
import { rubricScore } from './rubric.js';

const fakes = useModelFakes();

function run(settings: Record<string, unknown>, inputs: EvaluatorInputs) {
  const instance = rubricScore.create(rubricScore.settings.parse(settings), { sandbox: createFakeSandbox(), models: fakes().client });
  return instance.evaluate(inputs, { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal });
}

function answer(value: unknown): FakeChatRequest[] {
  const seen: FakeChatRequest[] = [];
  fakes().openai.setBehaviour({ respond: (request) => (seen.push(request), JSON.stringify(value)) });
  return seen;
}

// LangWatch's default rubric for ragas/rubrics_based_scoring (reference §2.2), worst first.
const LEVELS = [
  'The response is incorrect, irrelevant.',
  'The response partially answers the question but includes significant errors, omissions, or irrelevant information.',
  'The response partially answers the question but includes minor errors, omissions, or irrelevant information.',
  'The response fully answers the question and includes minor errors, omissions, or irrelevant information.',
  'The response fully answers the question and includes no errors, omissions, or irrelevant information.',
];

// The ragas docs' RubricsScore example (general_purpose.md).
const EIFFEL = { input: 'Where is the Eiffel Tower located?', output: 'The Eiffel Tower is located in Paris.' };

describe('rubric_score', () => {
  it('shows the numbered default rubric, constrains the score to its levels and reports the level as given', async () => {
    const seen = answer({ reasoning: 'Correct but terse.', score: 4 });
    fakes().openai.setBehaviour({ reportCost: () => 0.0004 });
    const result = await run({}, { ...EIFFEL, expected_output: 'The Eiffel Tower is located in Paris.' });
    expect(result).toEqual({ status: 'processed', score: 4, details: `Correct but terse.\n\nLevel 4 of 5: ${LEVELS[3]}`, cost: 0.0004 });

    const request = seen[0]!;
    expect(request.messages[0]!.content).toContain(`# Rubric\n${LEVELS.map((l, i) => `${i + 1}: ${l}`).join('\n')}`);
    expect(request.prompt).toBe(`# Input\n${EIFFEL.input}\n\n# Response\n${EIFFEL.output}\n\n# Expected Output\nThe Eiffel Tower is located in Paris.`);
    const format = request.body.response_format as { json_schema: { name: string; schema: Record<string, unknown> } };
    expect(format.json_schema.name).toBe('evaluation');
    expect(Object.keys(format.json_schema.schema.properties as object)).toEqual(['reasoning', 'score']);
    expect(format.json_schema.schema).toMatchObject({ properties: { score: { type: 'integer', enum: [1, 2, 3, 4, 5] } }, required: ['reasoning', 'score'] });
  });

  it('uses a configured rubric of any length, the lowest level scoring 1', async () => {
    const seen = answer({ reasoning: 'Wrong city.', score: 1 });
    const result = await run({ rubrics: [{ description: 'Wrong' }, { description: 'Right' }] }, EIFFEL);
    expect(result).toMatchObject({ status: 'processed', score: 1, details: 'Wrong city.\n\nLevel 1 of 2: Wrong' });
    expect(seen[0]!.schema).toMatchObject({ properties: { score: { enum: [1, 2] } } });
  });

  it('takes a per-row rubric in ragas InstanceRubrics form, or as a list, over the configured one', async () => {
    const seen = answer({ reasoning: 'Exact.', score: 3 });
    // Keys out of order on purpose: levels are ordered by their number.
    const ragasForm = { score3: 'Names Paris exactly.', score1: 'Wrong or unrelated.', score2: 'Says France only.' };
    expect(await run({}, { ...EIFFEL, rubrics: ragasForm })).toMatchObject({ status: 'processed', score: 3, details: 'Exact.\n\nLevel 3 of 3: Names Paris exactly.' });
    expect(seen[0]!.messages[0]!.content).toContain('# Rubric\n1: Wrong or unrelated.\n2: Says France only.\n3: Names Paris exactly.');
    expect(seen[0]!.schema).toMatchObject({ properties: { score: { enum: [1, 2, 3] } } });

    await run({}, { ...EIFFEL, rubrics: '[{"description": "Bad"}, "Good", {"description": "Best"}]' });
    expect(seen[1]!.messages[0]!.content).toContain('# Rubric\n1: Bad\n2: Good\n3: Best');
    await run({}, { ...EIFFEL, rubrics: { score1_description: 'No', score2_description: 'Yes' } });
    expect(seen[2]!.messages[0]!.content).toContain('# Rubric\n1: No\n2: Yes');
    await run({}, { ...EIFFEL, rubrics: null });
    expect(seen[3]!.messages[0]!.content).toContain(`5: ${LEVELS[4]}`);
  });

  it('skips without a call when the per-row rubric is unusable', async () => {
    for (const rubrics of ['plain text', [], ['ok', ''], { score1: 'a', score3: 'c' }, { level1: 'a' }, 7]) {
      expect(await run({}, { ...EIFFEL, rubrics })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^the row's rubrics input cannot be used: /) });
    }
    expect(fakes().openai.requests).toHaveLength(0);
  });

  it('is an error when the score is not one of the levels, keeping the cost', async () => {
    answer({ reasoning: 'Great.', score: 6 });
    fakes().openai.setBehaviour({ reportCost: () => 0.0002 });
    const result = await run({}, EIFFEL);
    expect(result).toMatchObject({ status: 'error', errorType: 'invalid_output', cost: 0.0002, details: expect.stringContaining('score: ') });
    expect(result).not.toHaveProperty('score');
  });

  it('skips without a call when input or output is missing, or the prompt is over max_tokens', async () => {
    expect(await run({}, { output: 'x' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^input is missing/) });
    expect(await run({}, { input: 'x' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^output is missing/) });
    expect(await run({ max_tokens: 200 }, { input: 'q', output: 'y'.repeat(2000) })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/above max_tokens 200/) });
    expect(fakes().openai.requests).toHaveLength(0);
  });

  it('errors when the provider is not configured, and when the key is rejected', async () => {
    expect(await run({ model: 'google/gemini-2.5-flash' }, EIFFEL)).toMatchObject({ status: 'error', details: expect.stringContaining('GOOGLE_GENERATIVE_AI_API_KEY') });
    const models = fakes().clientWith({ openai: { apiKey: 'sk-wrong', baseUrl: fakes().openai.baseURL } });
    const instance = rubricScore.create(rubricScore.settings.parse({}), { sandbox: createFakeSandbox(), models });
    const result = await instance.evaluate(EIFFEL, { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal });
    expect(result).toMatchObject({ status: 'error', errorType: 'provider_auth' });
  });
});

describe('rubric_score settings', () => {
  it('default to LangWatch settings', () => {
    expect(rubricScore.settings.parse({})).toEqual({ model: 'openai/gpt-5-mini', max_tokens: 2048, rubrics: LEVELS.map((description) => ({ description })) });
  });

  it.each([
    [{ rubrics: [] }, ['rubrics']],
    [{ rubrics: [{ description: 'ok' }, { description: ' ' }] }, ['rubrics', 1, 'description']],
    [{ rubrics: Array.from({ length: 21 }, () => ({ description: 'x' })) }, ['rubrics']],
    [{ model: 'gpt-5-mini' }, ['model']],
  ])('refuses %j at %j', (settings, path) => {
    const parsed = rubricScore.settings.safeParse(settings);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(path);
  });
});
