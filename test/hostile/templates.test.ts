// Hostile Liquid templates at run time (issue 6): random templates that pass save-time checks,
// in prompt messages and in an HTTP target's url, headers and body, rendered over hostile rows
// through real runs against the fake OpenAI server and the fake agent. Every run ends in
// bounded time with each cell either answered or failed with a message; runaway templates
// (huge ranges, nested loops, doubling strings) are stopped by Liquid's limits in
// src/targets/templates.ts and the server keeps answering meanwhile.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAgent, type FakeAgent } from '../../src/testing/fake-agent.js';
import { startFakeOpenAI } from '../../src/testing/fake-openai.js';
import type { FakeLlmProvider } from '../../src/testing/fake-provider-core.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { startRun, waitForRun } from '../../src/testing/runs.js';
import { compileCheck } from '../../src/targets/templates.js';
import { expectHealthy, expectNoPollution, saneAnswer, seedFor, within, probing } from './support.js';

const SEED = seedFor(60603);
/** Liquid's renderLimit (src/targets/templates.ts). */
const RENDER_LIMIT_MS = 100;
/**
 * Cells of each runaway run, all rendering at once. Without the yields between turns
 * (render-turn.ts) /healthz waited 1.7 s for 20 such cells at load 8: with 40 the attack holds
 * the server far longer than any load alone does.
 */
const ROWS = 40;
/**
 * Longest /healthz delay allowed while a runaway template renders: a few turns (100 ms each)
 * and room for a loaded CI machine (0.5–0.7 s seen at load 8–11 with the yields).
 */
const HEALTH_BOUND_MS = 1_500;
const OPENAI_KEY = 'sk-templates-000000000000000000';

let t: TestAssay;
let openai: FakeLlmProvider;
let agent: FakeAgent;

beforeAll(async () => {
  t = await startTestAssay();
  openai = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  agent = await startFakeAgent({ reply: (message) => ({ echo: message }) });
  expect((await t.req('PUT', '/api/providers/openai', { body: { apiKey: OPENAI_KEY, baseUrl: openai.baseURL } })).status).toBe(200);
});
afterAll(async () => {
  await t.close();
  await openai.close();
  await agent.close();
});

/**
 * Rows whose values try to break out of JSON bodies, URLs and headers. Only the first has a
 * `missing` column (null): a run start refuses templates that read a name no row has, so the
 * others render `{{ missing.deep.path }}` over a name their row truly lacks.
 */
const HOSTILE_ROWS: Record<string, unknown>[] = [
  { question: '", "admin": true, "x": "', n: 3, list: [1, 2, 3], obj: { a: { b: 'c' } }, missing: null },
  { question: 'line\r\nX-Injected: yes\r\n\r\n', n: -1, list: [], obj: {} },
  { question: '../../etc/passwd?&#%00', n: 1e308, list: ['{{ question }}'], obj: { constructor: 'x' } },
  { question: '{{ question }}{% raw %}', n: 0, list: null, obj: null },
  { question: 'x'.repeat(20_000), n: 2.5, list: Array.from({ length: 100 }, (_, i) => i), obj: { deep: [[[['d']]]] } },
];

const FRAGMENTS = [
  '{{ question }}', '{{ n }}', '{{ list }}', '{{ obj }}', '{{ obj.a.b }}', '{{ question | upcase }}', '{{ question | size }}', '{{ n | plus: 1 }}',
  '{{ list | join: "," }}', '{{ list | first }}', '{{ obj.constructor }}', '{{ question.constructor.name }}', '{{ list.size }}', '{{ missing.deep.path }}',
  '{% for x in list %}{{ x }},{% endfor %}', '{% if n > 1 %}big{% else %}small{% endif %}', '{% assign s = question | append: question %}{{ s | size }}',
  '{% capture c %}{{ question }}{% endcapture %}{{ c | escape }}', '{{ question | raw }}', '{{ parameters.p }}', '{% for i in (1..n) %}{{ i }}{% endfor %}',
  '{{ question | split: "" | reverse | join: "" }}', '{{ question | replace: "a", "bb" }}', '{% cycle "a", "b" %}', '{{ "now" | date: "%Y" }}',
  '{{ question | url_encode }}', '{{ question | strip_html | truncate: 5 }}', '{{ obj | json }}', '{{ n | divided_by: 0 }}', '{{ n | modulo: 0 }}',
  '{{ question | slice: -1000000, 1000000 }}', '{{ list | sort | uniq | compact }}', '{{ list | map: "x" }}', '{{ list | where: "a", 1 }}',
  '{% tablerow i in list cols:2 %}{{ i }}{% endtablerow %}', '{% increment k %}', '{% liquid assign z = 1\necho z %}', ' ', '"', '\\', '\u0000', '\u2028', '%',
];

const templateArb = fc.array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 6 }).map((p) => p.join(''));

/** One experiment: the template in a prompt message, a URL query, a header and a body leaf. */
function experiment(slug: string, template: string, place: 'prompt' | 'url' | 'header' | 'body' | 'rawBody') {
  const base = { slug, name: slug, dataset: { rows: HOSTILE_ROWS }, execution: { concurrency: 5, maxRetries: 0, timeoutMs: 10_000 } };
  if (place === 'prompt') {
    return { ...base, targets: [{ id: 't', type: 'prompt', model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: template || ' ' }] }] };
  }
  const http: Record<string, unknown> = { id: 't', type: 'http', url: `${agent.url}/chat`, body: { message: 'fixed' }, timeoutMs: 5_000 };
  if (place === 'url') http.url = `${agent.url}/chat?q=${template}`;
  if (place === 'header') http.headers = { 'X-Hostile': template };
  if (place === 'body') http.body = { message: template, nested: [template, { deeper: template }] };
  if (place === 'rawBody') http.body = `{"message": "${template}"}`;
  return { ...base, targets: [http] };
}

describe('hostile Liquid templates at run time', () => {
  it('render over hostile rows without a crash or a hang, in prompts, urls, headers and bodies', async () => {
    let n = 0;
    const outcomes = { ok: 0, failed: 0 };
    await fc.assert(
      fc.asyncProperty(templateArb, fc.constantFrom('prompt', 'url', 'header', 'body', 'rawBody') as fc.Arbitrary<'prompt' | 'url' | 'header' | 'body' | 'rawBody'>, fc.dictionary(fc.constantFrom('p', 'q', 'question'), fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean())), async (template, place, parameters) => {
        fc.pre(compileCheck(template) === null);
        const slug = `tpl-${++n}`;
        const what = `${place}: ${JSON.stringify(template)}`;
        const saved = await t.req('POST', '/api/experiments', { body: experiment(slug, template, place) });
        expect(saved.status, `${what}: ${await saved.clone().text()}`).toBe(201);
        const runId = await startRun(t, slug, { parameters });
        const run = await within(waitForRun(t, runId, 20_000), 25_000, what);
        expect(['completed', 'failed'], `${what}: ${JSON.stringify(run)}`).toContain(run.status);
        expect(run.progress).toBe(HOSTILE_ROWS.length);
        const res = await t.req('GET', `/api/experiments/runs/${runId}/results`);
        const results = (await saneAnswer(res, what)) as { dataset: { error: string | null; predicted?: { output: unknown } }[] };
        for (const cell of results.dataset) {
          if (cell.error === null) outcomes.ok++;
          else {
            outcomes.failed++;
            expect(typeof cell.error).toBe('string');
            expect(cell.error.length).toBeLessThan(2_000);
            expect(cell.error, what).not.toMatch(/\n\s+at |node_modules/);
          }
        }
        expectNoPollution();
      }),
      { numRuns: 60, seed: SEED },
    );
    await expectHealthy(t);
    // The agent never saw an injected header (CRLF in a rendered header is refused).
    for (const r of agent.requests) expect(r.headers['x-injected']).toBeUndefined();
    console.log(`templates at run time: seed ${SEED}, ${n} experiments, ${outcomes.ok} cells answered, ${outcomes.failed} failed`);
  }, 90_000);

  it('stops runaway templates with Liquid limits, within its render limit, while /healthz keeps answering', async () => {
    // [template, where, the error it must end with]. Loops that allocate are refused up front;
    // loops that only spin run until the time limit; loops that repeat a large column (20 KB
    // here, ROWS rows at once) stop at the output limit instead of building 400 MB per cell.
    const RUNAWAY: [string, 'prompt' | 'body' | 'url' | 'rawBody', RegExp][] = [
      ['{% for i in (1..100000000) %}x{% endfor %}', 'prompt', /memory alloc limit exceeded/],
      ['{% for i in (1..100000000) %}x{% endfor %}', 'body', /memory alloc limit exceeded/],
      ['{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}', 'url', /memory alloc limit exceeded/],
      ['{% for i in (1..5000) %}{% for j in (1..5000) %}{% for k in (1..5000) %}{% endfor %}{% endfor %}{% endfor %}', 'body', /render limit exceeded/],
      ['{% tablerow i in (1..1000000) %}{{i}}{% endtablerow %}', 'prompt', /limit exceeded/],
      // (On a loaded machine the time limit may come first: either way the loop is stopped.)
      ['{% for i in (1..20000) %}{{ big }}{% endfor %}', 'prompt', /(output|render) limit exceeded/],
      ['{% for i in (1..20000) %}{{ big }}{% endfor %}', 'rawBody', /(output|render) limit exceeded/],
      ['{% capture c %}{% for i in (1..20000) %}{{ big }}{% endfor %}{% endcapture %}{{ c | size }}', 'body', /(output|render) limit exceeded/],
      ['{% for i in (1..20000) %}{{ big | raw }}{% endfor %}', 'url', /(output|render) limit exceeded/],
    ];
    for (const [i, [template, place, message]] of RUNAWAY.entries()) {
      const slug = `runaway-${i}`;
      const rows = Array.from({ length: ROWS }, (_, r) => ({ question: `q${r}`, list: [r], big: 'x'.repeat(20_000) }));
      const doc = { ...experiment(slug, template, place), dataset: { rows }, execution: { concurrency: ROWS, maxRetries: 0 } };
      expect((await t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      let runId = '';
      const worst = await probing(t, async () => {
        runId = await startRun(t, slug);
        await waitForRun(t, runId, 60_000);
      });
      const run = await waitForRun(t, runId);
      const elapsed = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      expect(run.status, template).toBe('failed');
      const results = (await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json()) as { dataset: { error: string }[] };
      for (const cell of results.dataset) expect(cell.error, template).toMatch(message);
      // Stopped long before any of these would end on its own (hours, or never), each cell
      // within its render limit: counted in CPU time (the whole process's, this test's probes
      // and the collector's threads included), since the limit is the main thread's own time
      // (render-turn.ts) and on a loaded CI machine the wall time of 40 cells' 100 ms can pass
      // 18 s while the CPU stays ≈ 4.3 s.
      expect(cpuMs, template).toBeLessThan(ROWS * RENDER_LIMIT_MS * 1.5 + 2_000);
      expect(worst, `${template}: /healthz delayed`).toBeLessThan(HEALTH_BOUND_MS);
      console.log(`runaway ${place} ${template.slice(0, 40)}: run ${elapsed.toFixed(0)} ms, CPU ${cpuMs.toFixed(0)} ms, worst /healthz ${worst.toFixed(0)} ms`);
    }
    await expectHealthy(t);
  }, 240_000);
});
