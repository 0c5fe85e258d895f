// A model whose provider is neither built in nor registered is refused at save time, naming the
// field (SPEC §4), instead of failing every cell of every run with "unknown provider".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../testing/harness.js';

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

const prompt = (model: string) => ({ id: 't', type: 'prompt', model, messages: [{ role: 'user', content: '{{ q }}' }] });
const doc = (slug: string, targets: unknown[], evaluators: unknown[] = []) => ({ slug, name: slug, dataset: { rows: [{ q: 'a', a: 'A' }] }, targets, evaluators });

async function save(body: unknown, key?: string) {
  const res = await t.req('POST', '/api/experiments', { body, ...(key ? { key } : {}) });
  return { status: res.status, body: (await res.json()) as { error?: string; message?: string; issues?: { path: unknown[]; message: string }[] } };
}

describe('models named by a document', () => {
  it('a misspelt or unregistered provider is refused at its path; built-in ones are taken', async () => {
    const typo = await save(doc('typo', [prompt('opneai/gpt-4o-mini')]));
    expect(typo.status).toBe(400);
    expect(typo.body.issues![0]).toMatchObject({ path: ['targets', 0, 'model'] });
    expect(typo.body.issues![0]!.message).toContain('unknown provider "opneai"');
    expect(typo.body.issues![0]!.message).toContain('PUT /api/providers/opneai');
    for (const model of ['openai/gpt-4o-mini', 'Anthropic/claude-haiku-4-5', 'google/gemini-2.5-flash', 'azure/my-deployment']) {
      expect((await save(doc(`ok-${model.split('/')[0]!.toLowerCase()}`, [prompt(model)]))).status, model).toBe(201);
    }
  });

  it('a model id that would steer a request path is refused; real ids with dots, colons and slashes are taken', async () => {
    // Google's SDK puts the id in the path: `google/../files?` reached another path of its API with the server's key.
    const judge = { id: 'j', type: 'llm_boolean', settings: { model: 'google/../../files#' } };
    const steered = await save(doc('steered', [prompt('google/../files?')], [judge]));
    expect(steered.status).toBe(400);
    expect(steered.body.issues!.map((i) => i.path)).toEqual([['targets', 0, 'model'], ['evaluators', 0, 'settings', 'model']]);
    expect(steered.body.issues![0]!.message).toBe('model id "../files?" may not contain ?, #, %, \\, whitespace or a "." or ".." path segment: some providers put it in the request\'s path');
    for (const id of ['gemini 2.5', 'a%2F..', 'x\\y', 'models/./gemini']) {
      expect((await save(doc('steered', [prompt(`google/${id}`)]))).status, id).toBe(400);
    }
    for (const [i, model] of ['openai/gpt-4.1-mini', 'openai/ft:gpt-4o-mini:org::abc', 'google/tunedModels/my-model', 'anthropic/claude-3@20240229'].entries()) {
      expect((await save(doc(`real-${i}`, [prompt(model)]))).status, model).toBe(201);
    }
  });

  it('judge and embeddings models are checked too, inside evaluator sets as well', async () => {
    const judge = { id: 'j', type: 'llm_boolean', settings: { model: 'groq/llama-3.1-8b' } };
    const embeddings = { id: 's', type: 'semantic_similarity', inputs: { expected_output: 'row.a' }, settings: { embeddings_model: 'voyage/voyage-3' } };
    const set = { id: 'set', type: 'evaluator_set', settings: { evaluators: [{ id: 'm', type: 'llm_boolean', settings: { model: 'groq/llama-3.1-8b' } }] } };
    const refused = await save(doc('judges', [prompt('openai/gpt-4o-mini')], [judge, embeddings, set]));
    expect(refused.status).toBe(400);
    expect(refused.body.issues!.map((i) => i.path)).toEqual([
      ['evaluators', 0, 'settings', 'model'],
      ['evaluators', 1, 'settings', 'embeddings_model'],
      ['evaluators', 2, 'settings', 'evaluators', 0, 'settings', 'model'],
    ]);
    // Nothing was stored.
    expect((await t.req('GET', '/api/experiments/judges')).status).toBe(404);
  });

  it('a provider registered by the project is taken; one registered by another project is not', async () => {
    const other = await t.otherProject();
    const put = await t.req('PUT', '/api/providers/groq', { key: other.key, body: { baseUrl: 'https://api.groq.example/openai/v1', apiKey: 'gsk-other' } });
    expect(put.status).toBe(200);
    expect((await save(doc('registered', [prompt('groq/llama-3.1-8b')]), other.key)).status).toBe(201);
    // Project default has no groq of its own.
    expect((await save(doc('registered', [prompt('groq/llama-3.1-8b')]))).status).toBe(400);
    expect((await t.req('PUT', '/api/providers/groq', { body: { baseUrl: 'https://api.groq.example/openai/v1' } })).status).toBe(200);
    expect((await save(doc('registered', [prompt('groq/llama-3.1-8b')]))).status).toBe(201);
  });
});
