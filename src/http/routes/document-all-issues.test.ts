// A save of an experiment document names every problem of it in one 400: before, a schema error
// (a model without its provider) hid the checks' issues (an evaluator setting, a template, code,
// a saved dataset), which the user met only after fixing it and saving again. What only follows
// from a part that failed (an evaluator naming that target) is not said as well.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

type Refusal = { error: string; message: string; issues: { path: (string | number)[]; message: string }[] };

async function refusal(method: 'POST' | 'PUT', url: string, body: unknown): Promise<Refusal> {
  const res = await t.req(method, url, { body });
  expect(res.status).toBe(400);
  const answer = (await res.json()) as Refusal;
  expect(answer.error).toBe('validation_error');
  return answer;
}

const paths = (r: Refusal): string[] => r.issues.map((i) => i.path.join('.'));

describe('an experiment document with problems in several places', () => {
  it('names the schema error and the checks\' issues of the other parts in one 400', async () => {
    const doc = {
      name: 'several',
      dataset: { datasetId: 'no-such-dataset' },
      targets: [
        { id: 'mini', type: 'prompt', model: 'gpt-4o-mini', messages: [{ role: 'user', content: '{{ question }}' }] },
        { id: 'upper', type: 'code', code: 'return row.question.toUpperCase(' },
        { id: 'bot', type: 'http', url: 'ftp://127.0.0.1/x', body: { q: '{{ question' } },
      ],
      evaluators: [
        { id: 'exact', type: 'langevals/exact_match', settings: { case_sensitive: 'yes' } },
        { id: 'judge', type: 'custom_code', settings: { code: 'return ]' } },
      ],
    };
    const answer = await refusal('PUT', '/api/experiments/several', doc);
    // The schema's issue first, as its headline; then the checks', each once.
    expect(answer.issues[0]).toEqual({ path: ['targets', 0, 'model'], message: 'must be "provider/model": did you mean "openai/gpt-4o-mini"?' });
    expect(answer.message).toBe(`Invalid experiment: targets.0.model: must be "provider/model": did you mean "openai/gpt-4o-mini"? (and ${answer.issues.length - 1} more)`);
    expect(paths(answer).sort()).toEqual([
      'dataset.datasetId',
      'evaluators.0.settings.case_sensitive',
      'evaluators.1.settings.code',
      'targets.0.model',
      'targets.1.code',
      'targets.2.body.q',
      'targets.2.url',
    ]);
    expect(answer.issues.find((i) => i.path.join('.') === 'targets.1.code')?.message).toContain('code does not compile');
    expect(answer.issues.find((i) => i.path.join('.') === 'dataset.datasetId')?.message).toBe('dataset "no-such-dataset" not found');
    expect((await t.req('GET', '/api/experiments/several')).status).toBe(404);
  });

  it('names a bad slug with the document\'s other problems, not alone (assay push takes the URL\'s slug from the document)', async () => {
    const doc = {
      slug: 'Bad_Slug', name: 'bad slug',
      targets: [{ id: 'upper', type: 'code', code: 'return row.question.toUpperCase(' }],
      evaluators: [{ id: 'exact', type: 'langevals/exact_match', settings: { case_sensitive: 'yes' } }],
    };
    const answer = await refusal('PUT', '/api/experiments/Bad_Slug', doc);
    expect(paths(answer).sort()).toEqual(['evaluators.0.settings.case_sensitive', 'slug', 'targets.0.code']);
    // A URL slug that is bad while the document names none: said at `slug` too.
    const { slug: _, ...unnamed } = doc;
    expect(paths(await refusal('PUT', '/api/experiments/Bad_Slug', unnamed)).sort()).toEqual(['evaluators.0.settings.case_sensitive', 'slug', 'targets.0.code']);
    // A valid document under a bad URL slug: the slug alone.
    const valid = await refusal('PUT', '/api/experiments/Bad_Slug', { name: 'fine', targets: [{ id: 'a', type: 'code', code: 'return 1' }] });
    expect(paths(valid)).toEqual(['slug']);
    expect(valid.message).toMatch(/^Invalid experiment: slug: /);
    expect((await t.req('GET', '/api/experiments/Bad_Slug')).status).toBe(404);
  });

  it('checks the valid targets and evaluators beside one that fails the schema (POST)', async () => {
    const answer = await refusal('POST', '/api/experiments', {
      name: 'beside',
      targets: [
        { id: 'a', type: 'code' },
        { id: 'b', type: 'code', code: 'return (' },
      ],
      evaluators: [
        { id: 'x', type: 'exact_match', settings: { caseSensitive: true } },
        { id: 'y', type: 'exact_match', settings: { case_sensitive: true }, bogus: 1 },
      ],
    });
    expect(answer.issues).toEqual([
      { path: ['targets', 0, 'code'], message: 'required (expected string)' },
      { path: ['evaluators', 1], message: 'Unrecognized key: "bogus"' },
      { path: ['evaluators', 0, 'settings', 'caseSensitive'], message: expect.stringContaining('exact_match has no setting "caseSensitive" (did you mean "case_sensitive"?)') },
      { path: ['targets', 1, 'code'], message: expect.stringContaining('code does not compile') },
    ]);
  });
});

describe('what only follows from a part that failed', () => {
  it('is not said: an evaluator naming a target whose entry failed finds it', async () => {
    const answer = await refusal('POST', '/api/experiments', {
      name: 'follows',
      targets: [
        { id: 'a', type: 'prompt', model: 'openai/gpt-4o-mini' },
        { id: 'b', type: 'code', code: 'return 1' },
      ],
      evaluators: [
        { id: 'only-a', type: 'exact_match', targets: ['a'] },
        // A comparison of the two targets: one failing does not make it a comparison of one.
        { id: 'pick', type: 'compare' },
        { id: 'nowhere', type: 'exact_match', targets: ['c'] },
      ],
    });
    expect(answer.issues).toEqual([
      { path: ['targets', 0, 'messages'], message: 'required (expected array)' },
      // A target no entry has is still unknown.
      { path: ['evaluators', 2, 'targets', 0], message: 'unknown target "c"' },
    ]);
  });

  it('is not said when the targets list itself is wrong, and the evaluators are still checked', async () => {
    const answer = await refusal('POST', '/api/experiments', {
      name: 'no list',
      targets: { id: 'a', type: 'code', code: 'return 1' },
      evaluators: [
        { id: 'only-a', type: 'exact_match', targets: ['a'], settings: { case_sensitive: 'no' } },
        { id: 'only-a', type: 'exact_match' },
      ],
    });
    expect(answer.issues).toEqual([
      { path: ['targets'], message: expect.stringContaining('expected array') },
      { path: ['evaluators', 1, 'id'], message: 'duplicate evaluator id "only-a"' },
      { path: ['evaluators', 0, 'settings', 'case_sensitive'], message: expect.any(String) },
    ]);
  });

  it('is not said of a dataset that failed the schema, nor of a field left out', async () => {
    const answer = await refusal('POST', '/api/experiments', {
      dataset: { datasetId: '' },
      targets: [{ id: 'a', type: 'code', code: 'return (' }],
    });
    expect(paths(answer)).toEqual(['name', 'dataset.datasetId', 'targets.0.code']);
  });
});

describe('the checks inside a target or evaluator that failed the schema', () => {
  it('still run on its valid fields: templates, models, code and URLs beside the field that failed', async () => {
    const answer = await refusal('PUT', '/api/experiments/inside', {
      name: 'inside',
      targets: [
        // A model without its provider, and a template that does not parse.
        { id: 'mini', type: 'prompt', model: 'gpt-4o-mini', messages: [{ role: 'user', content: '{% if question %}never closed' }] },
        // A wrong type in a model parameter, and a provider that does not exist.
        { id: 'typo', type: 'prompt', model: 'opneai/gpt-4o-mini', params: { temperature: 'hot' }, messages: [{ role: 'user', content: '{{ question }}' }] },
        // A wrong type in timeoutMs, and code that does not compile.
        { id: 'upper', type: 'code', code: 'return row.question.toUpperCase(', timeoutMs: 'slow' },
        // Headers that are no object, a GET with a body (the entry's rule, which zod runs only
        // once its fields are valid) and a URL of another scheme.
        { id: 'bot', type: 'http', method: 'GET', headers: 'none', url: 'ftp://127.0.0.1/x', body: { q: '{{ question' } },
      ],
    });
    expect(paths(answer).sort()).toEqual([
      'targets.0.messages.0.content',
      'targets.0.model',
      'targets.1.model',
      'targets.1.params.temperature',
      'targets.2.code',
      'targets.2.timeoutMs',
      'targets.3.body',
      'targets.3.headers',
      'targets.3.url',
    ]);
    const at = (p: string): string | undefined => answer.issues.find((i) => i.path.join('.') === p)?.message;
    expect(at('targets.0.messages.0.content')).toContain('template does not parse');
    expect(at('targets.1.model')).toContain('unknown provider "opneai"');
    expect(at('targets.2.code')).toContain('code does not compile');
    expect(at('targets.3.url')).toContain('unsupported URL scheme ftp:');
    // The GET's body is the rule's to name; its template is not parsed as well.
    expect(at('targets.3.body')).toContain('a GET request has no body');
  });

  it('still run on the valid entries of a list or map field beside the entry that failed', async () => {
    const answer = await refusal('POST', '/api/experiments', {
      name: 'entries inside',
      targets: [
        // A role that does not exist in one message, a template that does not parse in the next;
        // in the last two, a key messages do not have or a role that does not exist, each with a
        // template that does not parse (the message's valid fields are still checked).
        {
          id: 'chat', type: 'prompt', model: 'openai/gpt-4o-mini',
          messages: [
            { role: 'usr', content: '{{ question }}' }, { role: 'user', content: '{% if question %}never closed' },
            { role: 'user', content: '{{ question', name: 'asker' }, { role: 'human', content: '{% for %}' },
          ],
        },
        // A header name that is not one, and a template that does not parse in the next header.
        { id: 'bot', type: 'http', url: 'http://127.0.0.1/x', headers: { 'bad name': 'x', 'X-Q': '{{ question' } },
      ],
    });
    expect(paths(answer).sort()).toEqual([
      'targets.0.messages.0.role',
      'targets.0.messages.1.content',
      'targets.0.messages.2',
      'targets.0.messages.2.content',
      'targets.0.messages.3.content',
      'targets.0.messages.3.role',
      'targets.1.headers.X-Q',
      'targets.1.headers.bad name',
    ]);
    const at = (p: string): string | undefined => answer.issues.find((i) => i.path.join('.') === p)?.message;
    expect(at('targets.0.messages.1.content')).toContain('template does not parse');
    expect(at('targets.0.messages.2')).toContain('Unrecognized key: "name"');
    expect(at('targets.0.messages.2.content')).toContain('template does not parse');
    expect(at('targets.0.messages.3.content')).toContain('template does not parse');
    expect(at('targets.1.headers.X-Q')).toContain('template does not parse');
  });

  it('still run on an evaluator\'s valid fields, and say nothing of the stand-in of a failed one', async () => {
    const answer = await refusal('POST', '/api/experiments', {
      name: 'evaluators inside',
      targets: [{ id: 'a', type: 'code', code: 'return 1' }],
      evaluators: [
        // A name of the wrong type, and a setting of the wrong type.
        { id: 'exact', type: 'exact_match', name: 5, settings: { case_sensitive: 'yes' } },
        // A negative weight, and code that does not compile.
        { id: 'judge', type: 'custom_code', weight: -1, settings: { code: 'return ]' } },
        // A type that is no string (no "unknown evaluator" for its stand-in), and a target no entry has.
        { id: 'lost', type: 5, targets: ['nope'] },
        // Settings that are no object (nothing said of the defaults standing in), and an input exact_match does not read.
        { id: 'loose', type: 'exact_match', settings: 'strict', inputs: { expectedOutput: 'row.answer' } },
        // A target id that is no id, beside one no target has: both named.
        { id: 'aimed', type: 'exact_match', targets: ['not an id', 'gone'] },
      ],
    });
    expect(paths(answer).sort()).toEqual([
      'evaluators.0.name',
      'evaluators.0.settings.case_sensitive',
      'evaluators.1.settings.code',
      'evaluators.1.weight',
      'evaluators.2.targets.0',
      'evaluators.2.type',
      'evaluators.3.inputs.expectedOutput',
      'evaluators.3.settings',
      'evaluators.4.targets.0',
      'evaluators.4.targets.1',
    ]);
    const at = (p: string): string | undefined => answer.issues.find((i) => i.path.join('.') === p)?.message;
    expect(at('evaluators.1.settings.code')).toContain('code does not compile');
    expect(at('evaluators.2.targets.0')).toBe('unknown target "nope"');
    expect(at('evaluators.3.inputs.expectedOutput')).toContain('exact_match reads no input named "expectedOutput"');
    expect(at('evaluators.4.targets.0')).toContain('must be 1–64 letters');
    expect(at('evaluators.4.targets.1')).toBe('unknown target "gone"');
  });
});
