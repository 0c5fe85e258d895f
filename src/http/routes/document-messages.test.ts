// What a new user's mistakes in an experiment document read. Naming a saved dataset the way
// README reads ("names a dataset by id or slug"), `dataset: questions` or `{slug: questions}`,
// got `dataset: Invalid input`; a document without its name got "Invalid input: expected
// string, received undefined".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

type Refusal = { error: string; issues: { path: (string | number)[]; message: string }[] };

describe('an experiment naming its dataset in a shape the server does not take', () => {
  it('answers a YAML `dataset: questions` with the datasetId form to write instead', async () => {
    const text = ['slug: named', 'name: named', 'dataset: questions', 'targets:', '  - {id: c, type: code, code: "return 1"}', ''].join('\n');
    const res = await t.req('POST', '/api/experiments', { raw: text, headers: { 'content-type': 'application/yaml' } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Refusal;
    expect(body.error).toBe('validation_error');
    const issue = body.issues.find((i) => i.path[0] === 'dataset');
    expect(issue?.message).toContain('(for this dataset: {datasetId: "questions"})');
    expect(issue?.message).toContain('{rows: [ … ]} (inline rows)');
    expect((await t.req('GET', '/api/experiments/named')).status).toBe(404);
  });

  it('answers `{slug: …}` the same way, and takes the datasetId form it suggests', async () => {
    const doc = { slug: 'by-slug', name: 'by slug', dataset: { slug: 'questions' }, targets: [{ id: 'c', type: 'code', code: 'return 1' }] };
    const refused = await t.req('POST', '/api/experiments', { body: doc });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as Refusal).issues.map((i) => i.message).join(' ')).toContain('{datasetId: "questions"}');
    const upload = await t.req('POST', '/api/datasets?name=questions', { raw: 'q\nhello\n', headers: { 'content-type': 'text/csv' } });
    expect(upload.status).toBe(201);
    const saved = await t.req('POST', '/api/experiments', { body: { ...doc, dataset: { datasetId: 'questions' } } });
    expect(saved.status).toBe(201);
  });
});

describe('an experiment document without a required field', () => {
  it('says the field is required, and what it takes', async () => {
    const res = await t.req('POST', '/api/experiments', { body: { slug: 'nameless', targets: [{ id: 'c', type: 'code', code: 'return 1' }] } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Refusal & { message: string };
    expect(body.issues).toContainEqual({ path: ['name'], message: 'required (expected string)' });
    expect(body.message).toContain('name: required (expected string)');
  });
});
