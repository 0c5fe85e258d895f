// SPEC §4: experiments round-trip through JSON and YAML, validation names fields, slugs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

const capitals = {
  slug: 'capitals',
  name: 'Capital cities',
  dataset: { rows: [{ question: 'Capital of France?', expected: 'Paris' }] },
  targets: [
    { id: 'mini', type: 'prompt', model: 'openai/gpt-4o-mini', params: { temperature: 0, maxTokens: 50 }, messages: [{ role: 'system', content: 'Answer with the city only.' }, { role: 'user', content: '{{question}}' }] },
    { id: 'bot', type: 'http', url: 'http://localhost:8080/chat', method: 'POST', headers: { Authorization: 'Bearer {{secrets.BOT_TOKEN}}' }, body: { message: '{{question}}' }, outputPath: '$.reply', timeoutMs: 30000 },
    { id: 'upper', type: 'code', code: 'return row.question.toUpperCase()' },
  ],
  evaluators: [{ id: 'exact', type: 'langevals/exact_match', settings: { case_sensitive: false }, inputs: { output: 'output', expected_output: 'row.expected' } }],
  execution: { concurrency: 10, repeats: 1, timeoutMs: 120000, maxRetries: 3, cache: false, budgetUsd: 5 },
  thresholds: { passRate: 90 },
};

async function json(res: Response): Promise<any> {
  return res.json();
}

describe('experiments', () => {
  it('round-trips a document through POST and GET (JSON)', async () => {
    const res = await t.req('POST', '/api/experiments', { body: capitals });
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created).toMatchObject({ slug: 'capitals', name: 'Capital cities', version: 1 });
    const got = await json(await t.req('GET', '/api/experiments/capitals'));
    expect(got.document).toEqual(capitals);
  });

  it('round-trips the same document as YAML', async () => {
    const yaml = YAML.stringify({ ...capitals, slug: 'capitals-yaml' });
    const res = await t.req('POST', '/api/experiments', { raw: yaml, headers: { 'content-type': 'application/yaml' } });
    expect(res.status).toBe(201);
    const got = await json(await t.req('GET', '/api/experiments/capitals-yaml'));
    expect(got.document).toEqual({ ...capitals, slug: 'capitals-yaml' });
  });

  it('a YAML file sent without the YAML content type is refused with a hint to set it', async () => {
    const yaml = `# a comment first, as promptfoo files have\n${YAML.stringify({ ...capitals, slug: 'capitals-hint' })}`;
    for (const headers of [{}, { 'content-type': 'application/json' }] as Record<string, string>[]) {
      const res = await t.req('POST', '/api/experiments', { raw: yaml, headers });
      expect(res.status).toBe(400);
      expect((await json(res)).message).toContain('It looks like YAML: send it with Content-Type: application/yaml');
    }
    // JSON that is merely broken gets no such hint.
    const broken = await t.req('POST', '/api/experiments', { raw: '{"name": "x",', headers: { 'content-type': 'application/json' } });
    expect((await json(broken)).message).not.toContain('YAML');
  });

  it('refuses an invalid document with validation_error and the issue paths', async () => {
    const bad = { ...capitals, slug: 'bad', targets: [{ id: 'a', type: 'code' }, { id: 'a', type: 'http', url: 'http://x' }], execution: { concurrency: 0 } };
    const res = await t.req('POST', '/api/experiments', { body: bad });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error).toBe('validation_error');
    const paths = body.issues.map((i: { path: unknown[] }) => i.path.join('.'));
    expect(paths).toContain('targets.0.code');
    expect(paths).toContain('execution.concurrency');
    expect((await t.req('GET', '/api/experiments/bad')).status).toBe(404);
  });

  it('refuses a misspelt key anywhere in the document, naming it, instead of dropping it', async () => {
    // `evaluator:` for `evaluators:` once saved a document with no checks, whose runs passed every gate.
    const yaml = [
      'name: typo', 'slug: typo',
      'dataset: {rows: [{q: "Capital of France?"}]}',
      'targets: [{id: t, type: code, code: "return \'Lyon\'"}]',
      'evaluator: [{id: exact, type: exact_match}]',
      'treshold: {passRate: 90}',
    ].join('\n');
    const res = await t.req('POST', '/api/experiments', { raw: yaml, headers: { 'content-type': 'application/yaml' } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string; issues: { path: unknown[]; message: string }[] };
    // Each misspelt key is named, with the key it was probably meant to be.
    expect(body.issues.map((i) => i.message).join('\n')).toMatch(/Unrecognized keys: "evaluator", "treshold" \(did you mean "evaluators" for "evaluator", "thresholds" for "treshold"\?\)/);
    expect(body.message).toContain('did you mean "evaluators" for "evaluator"');
    const nested = [
      { targets: [{ id: 't', type: 'code', code: 'return 1', temperature: 0 }] },
      { targets: [{ id: 't', type: 'prompt', model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x', name: 'n' }] }] },
      { targets: [{ id: 't', type: 'code', code: 'return 1' }], evaluators: [{ id: 'e', type: 'exact_match', setting: {} }] },
    ];
    for (const part of nested) {
      const r = await t.req('POST', '/api/experiments', { body: { name: 'typo', slug: 'typo', ...part } });
      expect(r.status, JSON.stringify(part)).toBe(400);
      expect(await r.text()).toMatch(/Unrecognized key/);
    }
    // Nested, in an evaluator: `setting` for `settings`; a key near nothing gets no guess.
    const nestedTypo = await t.req('POST', '/api/experiments', { body: { name: 'typo', slug: 'typo', ...nested[2] } });
    expect(((await nestedTypo.json()) as { message: string }).message).toMatch(/evaluators\.0: Unrecognized key: "setting" \(did you mean "settings"\?\)/);
    const codeTypo = await t.req('POST', '/api/experiments', { body: { name: 'typo', slug: 'typo', ...nested[0] } });
    expect(((await codeTypo.json()) as { message: string }).message).not.toContain('did you mean');
    // A model without its provider: the provider its family gives away, else an example.
    const prompt = (model: string) => ({ name: 'typo', slug: 'typo', targets: [{ id: 't', type: 'prompt', model, messages: [{ role: 'user', content: 'x' }] }] });
    const bare = await t.req('POST', '/api/experiments', { body: prompt('gpt-4o') });
    expect(((await bare.json()) as { message: string }).message).toBe('Invalid experiment: targets.0.model: must be "provider/model": did you mean "openai/gpt-4o"?');
    const claude = await t.req('POST', '/api/experiments', { body: prompt('claude-3-5-haiku-latest') });
    expect(((await claude.json()) as { message: string }).message).toContain('did you mean "anthropic/claude-3-5-haiku-latest"?');
    const llama = await t.req('POST', '/api/experiments', { body: prompt('llama3') });
    expect(((await llama.json()) as { message: string }).message).toContain('e.g. "openai/gpt-4o-mini", or a provider registered with PUT /api/providers/{name}');
    expect((await t.req('GET', '/api/experiments/typo')).status).toBe(404);
  });

  it('refuses an HTTP target URL that can never be called, and keeps templated ones', async () => {
    const withUrl = (url: string) => ({ name: 'u', slug: 'u', targets: [{ id: 't', type: 'http', url }] });
    const refused: [string, string][] = [['not a url', 'is not a valid URL'], ['file:///etc/passwd', 'unsupported URL scheme file:'], ['ftp://{{host}}/x', 'unsupported URL scheme ftp:']];
    for (const [url, message] of refused) {
      const res = await t.req('POST', '/api/experiments', { body: withUrl(url) });
      expect(res.status, url).toBe(400);
      const body = await json(res);
      expect(body.issues, url).toContainEqual({ path: ['targets', 0, 'url'], message: expect.stringContaining(message) });
    }
    for (const url of ['{{ base_url }}/chat', 'https://agent.example/{{ path }}', 'http://127.0.0.1:9/x']) {
      const res = await t.req('PUT', '/api/experiments/u', { body: withUrl(url) });
      expect(res.status, url).toBeLessThan(300);
    }
  });

  it('refuses {{secrets.X}} outside an HTTP target url, headers and auth', async () => {
    const res = await t.req('POST', '/api/experiments', {
      body: { name: 'Leaky', targets: [{ id: 'p', type: 'prompt', model: 'openai/x', messages: [{ role: 'user', content: 'key is {{ secrets.OPENAI }}' }] }] },
    });
    expect(res.status).toBe(400);
    expect((await json(res)).issues[0].path).toEqual(['targets', 0, 'messages']);
  });

  it('gives 409 on an explicit slug clash and -2, -3 on derived ones', async () => {
    const clash = await t.req('POST', '/api/experiments', { body: capitals });
    expect(clash.status).toBe(409);
    expect(await json(clash)).toMatchObject({ error: 'slug_taken' });
    const base = { name: 'My Eval!', targets: [{ id: 't', type: 'code', code: 'return 1' }] };
    const slugs = [];
    for (let i = 0; i < 3; i++) slugs.push((await json(await t.req('POST', '/api/experiments', { body: base }))).slug);
    expect(slugs).toEqual(['my-eval', 'my-eval-2', 'my-eval-3']);
    // A longer slug that merely shares the prefix is not a collision.
    await t.req('POST', '/api/experiments', { body: { ...base, slug: 'prefix-longer' } });
    expect((await json(await t.req('POST', '/api/experiments', { body: { ...base, name: 'prefix' } }))).slug).toBe('prefix');
  });

  it('refuses reserved and malformed slugs', async () => {
    for (const slug of ['runs', 'abort', 'execute', 'Upper', '-lead', 'a'.repeat(101)]) {
      const res = await t.req('POST', '/api/experiments', { body: { ...capitals, slug } });
      expect(res.status, slug).toBe(400);
      expect((await json(res)).issues[0].path).toEqual(['slug']);
    }
  });

  it('saves a new version on PUT and keeps old versions readable', async () => {
    const res = await t.req('PUT', '/api/experiments/capitals', { body: { ...capitals, name: 'Capitals v2' } });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ version: 2, name: 'Capitals v2' });
    expect((await json(await t.req('GET', '/api/experiments/capitals?version=1'))).name).toBe('Capital cities');
    const mismatch = await t.req('PUT', '/api/experiments/capitals', { body: { ...capitals, slug: 'other' } });
    expect(mismatch.status).toBe(400);
    const created = await t.req('PUT', '/api/experiments/brand-new', { body: { ...capitals, slug: undefined } });
    expect(created.status).toBe(201);
  });

  it('keeps the version when PUT sends the same document again, in any key order or as YAML', async () => {
    const doc = { ...capitals, slug: 'same-again' };
    expect((await t.req('PUT', '/api/experiments/same-again', { body: doc })).status).toBe(201);
    const again = await t.req('PUT', '/api/experiments/same-again', { body: doc });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ version: 1, unchanged: true });
    // The same fields in another order, written as YAML: still the same document.
    const reordered = Object.fromEntries(Object.entries(doc).reverse());
    const yaml = await t.req('PUT', '/api/experiments/same-again', { raw: YAML.stringify(reordered), headers: { 'content-type': 'application/yaml' } });
    expect(await json(yaml)).toMatchObject({ version: 1, unchanged: true });
    // Any change is a version: a setting, or only the name.
    const changed = await json(await t.req('PUT', '/api/experiments/same-again', { body: { ...doc, execution: { ...doc.execution, concurrency: 5 } } }));
    expect(changed).toMatchObject({ version: 2 });
    expect(changed.unchanged).toBeUndefined();
    expect(await json(await t.req('PUT', '/api/experiments/same-again', { body: { ...doc, execution: { ...doc.execution, concurrency: 5 }, name: 'Renamed' } }))).toMatchObject({ version: 3 });
    expect((await json(await t.req('GET', '/api/experiments/same-again'))).version).toBe(3);
  });

  it('archives: 404 afterwards and gone from the list', async () => {
    await t.req('POST', '/api/experiments', { body: { ...capitals, slug: 'doomed' } });
    expect((await t.req('DELETE', '/api/experiments/doomed')).status).toBe(204);
    expect((await t.req('GET', '/api/experiments/doomed')).status).toBe(404);
    expect((await t.req('DELETE', '/api/experiments/doomed')).status).toBe(404);
    const list = await json(await t.req('GET', '/api/experiments?pageSize=200'));
    expect(list.experiments.map((e: { slug: string }) => e.slug)).not.toContain('doomed');
    expect(list.experiments[0]).toMatchObject({ type: 'EVALUATIONS_V3', workflowId: null });
    expect(list.pagination).toMatchObject({ page: 1, pageSize: 200, hasMore: false });
  });

  it('answers unknown slugs with experiment_not_found', async () => {
    const res = await t.req('GET', '/api/experiments/nope');
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ error: 'experiment_not_found', message: 'Experiment not found: nope' });
  });

  it('imports the minimal LangWatch workbenchState', async () => {
    const workbenchState = {
      name: 'CI/CD Test Evaluation', experimentSlug: 'ci-cd-test',
      datasets: [{ id: 'dataset-1', name: 'Test Dataset', type: 'inline',
        inline: { columns: [{ id: 'question', name: 'question', type: 'string' }, { id: 'expected', name: 'expected', type: 'string' }], records: { question: ['Say hello', 'Say world'], expected: ['hello', 'world'] } },
        columns: [{ id: 'question', name: 'question', type: 'string' }, { id: 'expected', name: 'expected', type: 'string' }] }],
      activeDatasetId: 'dataset-1',
      targets: [{ id: 'target-1', type: 'prompt', inputs: [{ identifier: 'input', type: 'str' }], outputs: [{ identifier: 'output', type: 'str' }],
        mappings: { 'dataset-1': { input: { type: 'source', source: 'dataset', sourceId: 'dataset-1', sourceField: 'question' } } },
        localPromptConfig: { llm: { model: 'openai/gpt-4o-mini', temperature: 0, maxTokens: 50 },
          messages: [{ role: 'system', content: 'Respond with only the exact word requested.' }, { role: 'user', content: '{{input}}' }],
          inputs: [{ identifier: 'input', type: 'str' }], outputs: [{ identifier: 'output', type: 'str' }] } }],
      evaluators: [{ id: 'eval-1', evaluatorType: 'langevals/exact_match', inputs: [{ identifier: 'output', type: 'str' }, { identifier: 'expected_output', type: 'str' }],
        mappings: { 'dataset-1': { 'target-1': {
          output: { type: 'source', source: 'target', sourceId: 'target-1', sourceField: 'output' },
          expected_output: { type: 'source', source: 'dataset', sourceId: 'dataset-1', sourceField: 'expected' } } } } }],
    };
    const res = await t.req('POST', '/api/experiments', { body: { workbenchState } });
    expect(res.status).toBe(201);
    const got = await json(res);
    expect(got.slug).toBe('ci-cd-test');
    expect(got.document.dataset.rows).toEqual([{ question: 'Say hello', expected: 'hello' }, { question: 'Say world', expected: 'world' }]);
    expect(got.document.targets[0]).toMatchObject({ id: 'target-1', type: 'prompt', model: 'openai/gpt-4o-mini', variables: { input: 'row.question' } });
    expect(got.document.evaluators[0]).toMatchObject({ id: 'eval-1', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } });

    const agent = await t.req('POST', '/api/experiments', { body: { workbenchState: { ...workbenchState, targets: [{ id: 'a1', type: 'agent', dbAgentId: 'agent_1', mappings: {} }] } } });
    expect(agent.status).toBe(400);
    expect((await json(agent)).issues[0].path.slice(0, 3)).toEqual(['workbenchState', 'targets', 0]);
  });

  it('refuses a dataset reference that does not exist in the project', async () => {
    const res = await t.req('POST', '/api/experiments', { body: { ...capitals, slug: 'dsref', dataset: { datasetId: 'ds_missing' } } });
    expect(res.status).toBe(400);
    expect((await json(res)).issues[0].path).toEqual(['dataset', 'datasetId']);
  });

  it('refuses bad YAML and wrong bodies with 400, never 500', async () => {
    const cases: [string, string][] = [
      ['application/yaml', 'name: [unclosed'],
      ['application/yaml', 'a: &x [1]\nb: *x\na: 2'],
      ['application/json', '[]'],
      ['application/json', 'null'],
      ['application/json', ''],
      ['text/plain', '{"name": 1}'],
    ];
    for (const [type, raw] of cases) {
      const res = await t.req('POST', '/api/experiments', { raw, headers: { 'content-type': type } });
      expect(res.status, raw).toBe(400);
      expect(typeof (await json(res)).error).toBe('string');
    }
  });
});
