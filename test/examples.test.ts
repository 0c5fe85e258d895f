// The files in examples/ are what a new user copies first: each saves as documented (YAML
// body), runs against a real (fake) provider, and every evaluator in it gives a verdict rather
// than an error. The CSV is the README's upload example.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../src/testing/harness.js';
import { type FakeOpenAI, startFakeOpenAI } from '../src/testing/fake-openai.js';
import { startRun, waitForRun } from '../src/testing/runs.js';

const EXAMPLES = new URL('../examples/', import.meta.url);
let t: TestAssay;
let openai: FakeOpenAI;

beforeAll(async () => {
  t = await startTestAssay();
  openai = await startFakeOpenAI({ apiKey: 'sk-examples-0000000000000000000' });
  expect((await t.req('PUT', '/api/providers/openai', { body: { apiKey: 'sk-examples-0000000000000000000', baseUrl: openai.baseURL } })).status).toBe(200);
});
afterAll(async () => {
  await t.close();
  await openai.close();
});

const yamlFiles = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

describe('examples/', () => {
  it('holds the examples the docs name', () => {
    expect(yamlFiles).toEqual(expect.arrayContaining(['capitals.yaml', 'support-bot.yaml']));
  });

  it.each(yamlFiles)('%s saves as YAML and runs with a verdict from every evaluator', async (file) => {
    const saved = await t.req('POST', '/api/experiments', { raw: readFileSync(new URL(file, EXAMPLES)), headers: { 'content-type': 'application/yaml' } });
    const body = (await saved.json()) as { slug: string; message?: string };
    expect(saved.status, body.message).toBe(201);
    const run = await waitForRun(t, await startRun(t, body.slug), 60_000);
    expect(run.status).toBe('completed');
    const results = (await (await t.req('GET', `/api/experiments/runs/${run.runId}/results`)).json()) as {
      dataset: { error: string | null }[];
      evaluations: { evaluator: string; status: string; details: string | null }[];
    };
    expect(results.dataset.every((c) => c.error === null)).toBe(true);
    expect(results.evaluations.length).toBeGreaterThan(0);
    for (const e of results.evaluations) expect(e.status, `${e.evaluator}: ${e.details}`).toBe('processed');
  }, 90_000);

  it('questions.csv uploads as the README shows', async () => {
    const res = await t.req('POST', '/api/datasets?name=questions', { raw: readFileSync(new URL('questions.csv', EXAMPLES)), headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ rowCount: 3, columns: ['question', 'expected', 'product'] });
  });
});
