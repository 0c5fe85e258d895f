// Issue 5: a LangWatch-style experiment (saved workbenchState) that uses only LangWatch
// evaluator ids with their default settings imports and runs unchanged: every evaluator
// processes the row or skips it with a reason, none errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../src/testing/fake-openai.js';
import type { FakeLlmProvider } from '../src/testing/fake-provider-core.js';
import { startTestAssay, type TestAssay } from '../src/testing/harness.js';
import { startRun, waitForRun } from '../src/testing/runs.js';

let t: TestAssay;
let openai: FakeLlmProvider;

const LANGWATCH_IDS = [
  'langevals/exact_match', 'langevals/basic', 'langevals/competitor_blocklist', 'langevals/valid_format', 'langevals/llm_boolean',
  'langevals/llm_score', 'langevals/llm_category', 'langevals/llm_answer_match', 'langevals/similarity', 'ragas/bleu_score',
  'ragas/rouge_score', 'lingua/language_detection', 'presidio/pii_detection', 'langwatch/api_keys_and_secrets_detection',
  'openai/moderation', 'ragas/faithfulness', 'ragas/response_relevancy', 'ragas/response_context_precision',
  'ragas/response_context_recall', 'ragas/context_precision', 'ragas/context_recall', 'ragas/context_f1', 'ragas/rubrics_based_scoring',
];

const source = (field: string) => ({ type: 'source', source: 'dataset', sourceId: 'ds', sourceField: field });
const fromTarget = { type: 'source', source: 'target', sourceId: 'target-1', sourceField: 'output' };

function workbenchState() {
  const columns = ['question', 'expected', 'contexts', 'expected_contexts'].map((c) => ({ id: c, name: c, type: c.includes('contexts') ? 'json' : 'string' }));
  return {
    name: 'LangWatch defaults', experimentSlug: 'lw-defaults',
    datasets: [{
      id: 'ds', name: 'Data', type: 'inline', columns,
      inline: {
        columns,
        records: {
          question: ['What is the capital of France and why is it famous?', 'Where is the Eiffel Tower located in Europe today?'],
          expected: ['Paris is the capital of France, famous for art and history.', 'The Eiffel Tower stands in Paris, France.'],
          contexts: [JSON.stringify(['Paris is the capital of France.']), JSON.stringify(['The Eiffel Tower is in Paris.'])],
          expected_contexts: [JSON.stringify(['Paris is the capital of France.']), JSON.stringify(['The Eiffel Tower is in Paris.'])],
        },
      },
    }],
    activeDatasetId: 'ds',
    targets: [{
      id: 'target-1', type: 'prompt', mappings: { ds: { input: source('question') } },
      localPromptConfig: { llm: { model: 'openai/gpt-5-mini' }, messages: [{ role: 'user', content: '{{input}}' }], inputs: [{ identifier: 'input', type: 'str' }], outputs: [{ identifier: 'output', type: 'str' }] },
    }],
    evaluators: LANGWATCH_IDS.map((type, i) => ({
      id: `ev-${i}`, evaluatorType: type,
      mappings: { ds: { 'target-1': {
        input: source('question'), output: fromTarget, expected_output: source('expected'),
        contexts: source('contexts'), expected_contexts: source('expected_contexts'),
      } } },
    })),
  };
}

beforeAll(async () => {
  t = await startTestAssay();
  // The fake answers every structured call from its schema; the RAG verdict lists must line up
  // with what the judge was shown (one context per row here, one extracted claim), as a real
  // model's would.
  openai = await startFakeOpenAI({
    apiKey: 'sk-langwatch-defaults-000000000',
    respond: (r) => {
      const props = ((r.schema as { properties?: Record<string, any> } | undefined)?.properties ?? {}) as Record<string, any>;
      if (props.claims) return { claims: ['Paris is the capital of France.'], ...(props.dont_know ? { dont_know: false } : {}) };
      const items = props.verdicts?.items?.properties;
      if (items?.context) return { verdicts: [{ context: 1, reasoning: 'it answers the question', relevant: true }] };
      if (items?.claim) return { verdicts: [{ claim: 'Paris is the capital of France.', reasoning: 'stated in context 1', supported: true }] };
      return undefined;
    },
  });
  await t.req('PUT', '/api/providers/openai', { body: { apiKey: 'sk-langwatch-defaults-000000000', baseUrl: openai.baseURL } });
});
afterAll(async () => {
  await t.close();
  await openai.close();
});

describe('LangWatch evaluator ids with default settings', () => {
  it('import and run unchanged: every evaluator processes or skips with a reason, none errors', async () => {
    const created = await t.req('POST', '/api/experiments', { body: { workbenchState: workbenchState() } });
    expect(created.status, await created.clone().text()).toBe(201);
    const done = await waitForRun(t, await startRun(t, 'lw-defaults'), 60_000);
    expect(done.status).toBe('completed');
    const results = (await (await t.req('GET', `/api/experiments/runs/${done.runId}/results`)).json()) as {
      evaluations: { evaluator: string; status: string; details: string | null; score: number | null; passed: boolean | null; label: string | null }[];
    };
    expect(results.evaluations).toHaveLength(LANGWATCH_IDS.length * 2);
    for (const e of results.evaluations) {
      const type = LANGWATCH_IDS[Number(e.evaluator.slice(3))];
      expect(e.status, `${type}: ${e.details}`).not.toBe('error');
      if (e.status === 'skipped') expect(e.details, type).toBeTruthy();
      else expect(e.passed !== null || e.score !== null || e.label !== null, type).toBe(true);
    }
    const processed = new Set(results.evaluations.filter((e) => e.status === 'processed').map((e) => LANGWATCH_IDS[Number(e.evaluator.slice(3))]));
    // Most of them really judged something (the rest skip for a documented reason, e.g. too few words).
    expect(processed.size).toBeGreaterThanOrEqual(LANGWATCH_IDS.length - 3);
  }, 60_000);
});
