// Evaluator inputs mapped to columns the run's rows lack are refused at the start, before any
// cell: such an evaluator skips every cell and the run passes its gate with nothing checked.
// The rows are the experiment's own, the request's `data`, or a saved dataset's version; the
// run's parameters count as columns (they are merged into every row).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { startRun, waitForRun } from '../../testing/runs.js';

let t: TestAssay;

const doc = (slug: string, mapping: string, dataset: object = { rows: [{ country: 'France', expected: 'Paris' }] }) => ({
  slug, name: slug, dataset,
  targets: [{ id: 'echo', type: 'code', code: 'return row.expected ?? row.answer ?? row.lang' }],
  evaluators: [{ id: 'exact', type: 'langevals/exact_match', inputs: { expected_output: mapping } }],
});

beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

const message = async (res: Response) => ((await res.json()) as { message: string }).message;

describe('mapped columns at the start of a run', () => {
  it("refuses a mapping to a column the experiment's rows lack, with the column meant, and starts nothing", async () => {
    expect((await t.req('POST', '/api/experiments', { body: doc('typo', 'row.expectd') })).status).toBe(201);
    const res = await t.req('POST', '/api/experiments/typo/run');
    expect(res.status).toBe(400);
    expect(await message(res)).toBe('Invalid run: evaluator "exact" maps expected_output to row.expectd, but the rows have no column "expectd" (did you mean "expected"?); every cell would skip it. The rows\' columns: country, expected');
    const estimate = await t.req('POST', '/api/experiments/typo/estimate');
    expect(estimate.status).toBe(400);
    const runs = (await (await t.req('GET', '/api/experiments/runs?experimentSlug=typo')).json()) as { runs: unknown[] };
    expect(runs.runs).toEqual([]);
  });

  it("checks the request's data and a saved dataset's version instead, and counts parameters as columns", async () => {
    expect((await t.req('POST', '/api/experiments', { body: doc('by-answer', 'row.answer') })).status).toBe(201);
    // The experiment's rows have no `answer`: refused; data that has it runs.
    expect((await t.req('POST', '/api/experiments/by-answer/run')).status).toBe(400);
    const ok = await startRun(t, 'by-answer', { data: [{ country: 'Peru', answer: 'Lima' }] });
    expect((await waitForRun(t, ok)).status).toBe('completed');
    const results = (await (await t.req('GET', `/api/experiments/runs/${ok}/results`)).json()) as { evaluations: { status: string; passed: boolean }[] };
    expect(results.evaluations[0]).toMatchObject({ status: 'processed', passed: true });

    // A saved dataset without it: refused naming its columns; after an append that adds it, runs.
    expect((await t.req('POST', '/api/datasets', { body: { name: 'caps', slug: 'caps', rows: [{ country: 'Chad', expected: "N'Djamena" }] } })).status).toBe(201);
    const refused = await t.req('POST', '/api/experiments/by-answer/run', { body: { dataset_id: 'caps' } });
    expect(await message(refused)).toContain('the rows have no column "answer"');
    expect((await t.req('POST', '/api/datasets/caps/records?newColumns=allow', { body: { rows: [{ country: 'Mali', expected: 'Bamako', answer: 'Bamako' }] } })).status).toBe(200);
    expect((await t.req('POST', '/api/experiments/by-answer/run', { body: { dataset_id: 'caps' } })).status).toBe(200);

    // A parameter is merged into every row: mapping to it is reading a column.
    expect((await t.req('POST', '/api/experiments', { body: doc('by-param', 'row.lang') })).status).toBe(201);
    expect((await t.req('POST', '/api/experiments/by-param/run')).status).toBe(400);
    expect((await t.req('POST', '/api/experiments/by-param/run', { body: { parameters: { lang: 'fr' } } })).status).toBe(200);
  });

  it('lets a column with dots be read by its first part, and leaves evaluators the run does not select alone', async () => {
    expect((await t.req('POST', '/api/experiments', { body: doc('nested', 'row.meta.gold', { rows: [{ meta: { gold: 'x' }, expected: 'x' }] }) })).status).toBe(201);
    expect((await t.req('POST', '/api/experiments/nested/run')).status).toBe(200);
    expect((await t.req('POST', '/api/experiments', { body: { ...doc('unselected', 'row.nope'), evaluators: [...doc('x', 'row.nope').evaluators, { id: 'ok', type: 'langevals/exact_match' }] } })).status).toBe(201);
    expect((await t.req('POST', '/api/experiments/unselected/run', { body: { evaluators: ['ok'] } })).status).toBe(200);
  });

  it("names a selected evaluator by its place in the document, not among those the run selected", async () => {
    const evaluators = [{ id: 'first', type: 'langevals/exact_match' }, { id: 'second', type: 'langevals/exact_match', inputs: { expected_output: 'row.expectd' } }];
    expect((await t.req('POST', '/api/experiments', { body: { ...doc('second-only', 'row.expected'), evaluators } })).status).toBe(201);
    const res = await t.req('POST', '/api/experiments/second-only/run', { body: { evaluators: ['second'] } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: unknown[] }[] };
    expect(body.issues.map((i) => i.path)).toEqual([['evaluators', 1, 'inputs', 'expected_output']]);
  });
});

describe('template names at the start of a run', () => {
  const rows = [{ country: 'France', question: 'Capital?', expected: 'Paris' }];
  const prompt = (slug: string, content: string, extra: object = {}) => ({
    slug, name: slug, dataset: { rows },
    targets: [{ id: 'p', type: 'prompt', model: 'openai/gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content }], ...extra }],
    evaluators: [{ id: 'exact', type: 'langevals/exact_match' }],
  });

  it('refuses a prompt that reads a name the rows lack, with the column meant, and starts nothing', async () => {
    expect((await t.req('POST', '/api/experiments', { body: prompt('tpl-typo', 'What is the capital of {{ contry }}?') })).status).toBe(201);
    const res = await t.req('POST', '/api/experiments/tpl-typo/run');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string; issues: { path: unknown[] }[] };
    expect(body.message).toBe(
      'Invalid run: target "p" reads {{ contry }} in messages.1.content, but the rows have no column "contry" (did you mean "country"?); it would render empty on every row'
      + ' (if it may be missing, guard it: {% if contry %}, or | default:). The rows\' columns: country, question, expected',
    );
    expect(body.issues[0]!.path).toEqual(['targets', 0, 'messages', 1, 'content']);
    expect((await t.req('POST', '/api/experiments/tpl-typo/estimate')).status).toBe(400);
    const runs = (await (await t.req('GET', '/api/experiments/runs?experimentSlug=tpl-typo')).json()) as { runs: unknown[] };
    expect(runs.runs).toEqual([]);
    // Data that has the column runs.
    expect((await t.req('POST', '/api/experiments/tpl-typo/run', { body: { data: [{ contry: 'Peru' }] } })).status).toBe(200);
  });

  it('says columns are read by name when a template reads row.<column>', async () => {
    expect((await t.req('POST', '/api/experiments', { body: prompt('tpl-row', 'Answer: {{ row.question }}') })).status).toBe(201);
    const res = await t.req('POST', '/api/experiments/tpl-row/run');
    expect(await message(res)).toContain('target "p" reads {{ row.question }} in messages.1.content: columns are read by their name, {{ question }}; it would render empty on every row.');
  });

  it('lets parameters, variables, loop and assigned names, and names the template guards, through', async () => {
    const content = [
      '{{ question }} in {{ parameters.lang }} for {{ audience }}, {{ lang }}.',
      '{% if hint %}Hint: {{ hint }}{% endif %}{% unless extra %}-{% endunless %}',
      'Tone: {{ tone | default: "calm" }}.',
      '{% assign n = 2 %}{{ n }}{% for c in countries %}{{ c }}{{ forloop.index }}{% endfor %}',
    ].join('\n');
    const doc = prompt('tpl-ok', content, { variables: { audience: { value: 'kids' } } });
    expect((await t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
    // `countries` is read (the loop's collection) and is not a column: refused until the run has it.
    expect(await message(await t.req('POST', '/api/experiments/tpl-ok/run', { body: { parameters: { lang: 'fr' } } }))).toContain('reads {{ countries }}');
    const ok = await t.req('POST', '/api/experiments/tpl-ok/run', { body: { parameters: { lang: 'fr' }, data: [{ question: 'q', countries: ['a', 'b'] }] } });
    expect(ok.status, await ok.clone().text()).toBe(200);
  });

  it("refuses a prompt variable mapped to a missing column, and checks an HTTP target's url, headers and body but not its secrets", async () => {
    expect((await t.req('POST', '/api/experiments', { body: prompt('tpl-var', '{{ topic }}', { variables: { topic: 'row.subject' } }) })).status).toBe(201);
    expect(await message(await t.req('POST', '/api/experiments/tpl-var/run'))).toContain('target "p" maps its variable topic to row.subject, but the rows have no column "subject"');

    await t.req('PUT', '/api/secrets/AGENT_TOKEN', { body: { value: 'tok' } });
    const http = {
      slug: 'tpl-http', name: 'tpl-http', dataset: { rows },
      targets: [{
        id: 'agent', type: 'http', url: 'http://127.0.0.1:9/ask/{{ country }}', headers: { authorization: 'Bearer {{ secrets.AGENT_TOKEN }}', 'x-user': '{{ user_id }}' },
        body: { input: '{{ question }}', history: ['{{ histroy }}'] },
      }],
      evaluators: [{ id: 'exact', type: 'langevals/exact_match' }],
    };
    expect((await t.req('POST', '/api/experiments', { body: http })).status).toBe(201);
    const res = await t.req('POST', '/api/experiments/tpl-http/run');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string; issues: { path: unknown[] }[] };
    expect(body.message).toContain('target "agent" reads {{ user_id }} in headers.x-user, but the rows have no column "user_id"');
    expect(body.message).toContain('(and 1 more)');
    expect(body.issues.map((i) => i.path)).toEqual([['targets', 0, 'headers', 'x-user'], ['targets', 0, 'body', 'history', 0]]);
  });
});

// A save is not refused for names its inline rows lack (a run may pass data of its own), but
// says so: the answer's `warnings` carry what a run over those rows would be refused for.
describe('save warnings for names the inline rows lack', () => {
  const rows = [{ question: 'Capital of France?', expected: 'Paris' }];
  const doc = (slug: string, content: string, mapping: string, dataset: object = { rows }) => ({
    slug, name: slug, dataset,
    targets: [{ id: 'p', type: 'prompt', model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content }] }],
    evaluators: [{ id: 'exact', type: 'langevals/exact_match', inputs: { expected_output: mapping } }],
  });
  type Saved = { slug: string; version: number; warnings?: { path: (string | number)[]; message: string }[] };

  it('answers a create and a replace with a warning per name, saved all the same, and the start refuses what they said', async () => {
    const created = await t.req('POST', '/api/experiments', { body: doc('warned', '{{questoin}}', 'row.expectd') });
    expect(created.status).toBe(201);
    const body = (await created.json()) as Saved;
    expect(body.slug).toBe('warned');
    expect(body.warnings).toEqual([
      {
        path: ['targets', 0, 'messages', 0, 'content'],
        message: 'target "p" reads {{ questoin }} in messages.0.content, but the rows have no column "questoin" (did you mean "question"?); it would render empty on every row (if it may be missing, guard it: {% if questoin %}, or | default:). A run of the inline rows would be refused at its start (one passing data or parameters with that name would not)',
      },
      {
        path: ['evaluators', 0, 'inputs', 'expected_output'],
        message: 'evaluator "exact" maps expected_output to row.expectd, but the rows have no column "expectd" (did you mean "expected"?); every cell would skip it. A run of the inline rows would be refused at its start (one passing data or parameters with that name would not)',
      },
    ]);
    expect((await t.req('GET', '/api/experiments/warned')).status).toBe(200);
    expect((await t.req('POST', '/api/experiments/warned/run')).status).toBe(400);

    // PUT says it again, unchanged or not, until the document reads what its rows have.
    for (const [content, version] of [['{{questoin}}', 1], ['Q: {{questoin}}', 2]] as const) {
      const put = await t.req('PUT', '/api/experiments/warned', { body: doc('warned', content, 'row.expectd') });
      expect(put.status).toBe(200);
      const again = (await put.json()) as Saved;
      expect(again.version).toBe(version);
      expect(again.warnings?.map((w) => w.path)).toEqual([['targets', 0, 'messages', 0, 'content'], ['evaluators', 0, 'inputs', 'expected_output']]);
    }
    const fixed = await t.req('PUT', '/api/experiments/warned', { body: doc('warned', '{{question}}', 'row.expected') });
    expect(fixed.status).toBe(200);
    expect(await fixed.json()).not.toHaveProperty('warnings');
  });

  it('answers no warnings when the rows have the names, or the document has no inline rows to check', async () => {
    for (const [slug, dataset] of [['clean', { rows }], ['no-rows', { rows: [] }]] as const) {
      const content = slug === 'clean' ? '{{ question }}{% if hint %}{{ hint }}{% endif %}' : '{{ questoin }}';
      const res = await t.req('POST', '/api/experiments', { body: doc(slug, content, slug === 'clean' ? 'row.expected' : 'row.expectd', dataset) });
      expect(res.status, slug).toBe(201);
      expect(await res.json(), slug).not.toHaveProperty('warnings');
    }
    // Rows of its own: the run with the names starts.
    expect((await t.req('POST', '/api/experiments/no-rows/run', { body: { data: [{ questoin: 'q', expectd: 'a' }] } })).status).toBe(200);
  });
});
