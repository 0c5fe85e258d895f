// Hostile experiment documents (issue 6): random mutations of a valid, feature-rich document
// (every field, at any depth, set to a wrong type, a huge or odd value, or removed), sent as
// JSON or YAML to POST and PUT. A refusal is a 400 whose issues name the mutated field (or a
// field around it); an acceptance stores exactly a valid document; nothing else changes.
// Random Liquid templates in prompt messages and in an HTTP target's url, headers, auth and
// body are refused at save time exactly when they do not parse, naming the field.
import fc from 'fast-check';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentDocumentSchema } from '../../src/core/model/experiment.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { compileCheck, MAX_TEMPLATE_TAGS } from '../../src/targets/templates.js';
import { expectHealthy, expectNoPollution, saneAnswer, seedFor, within } from './support.js';

const SEED = seedFor(60602);

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

type Path = (string | number)[];

const BASE = {
  name: 'Base',
  description: 'a document with every feature',
  dataset: { rows: [{ question: 'q', expected: 'q', contexts: ['c'] }] },
  targets: [
    {
      id: 'p', name: 'Prompt', type: 'prompt', model: 'openai/gpt-4o-mini', params: { temperature: 0, maxTokens: 10, stop: ['\n'] },
      messages: [{ role: 'system', content: 'Be brief' }, { role: 'user', content: '{{ question | upcase }}' }],
      variables: { v: 'row.question', lit: { value: 3 } },
    },
    {
      id: 'h', type: 'http', url: 'http://127.0.0.1:9/chat?q={{question}}', method: 'POST', headers: { 'X-Q': '{{question}}' },
      auth: { type: 'bearer', token: '{{secrets.TOKEN}}' }, body: { message: '{{question}}', list: ['{{expected}}', 1] }, outputPath: '$.reply', timeoutMs: 1000,
    },
    { id: 'c', type: 'code', code: 'return row.question', timeoutMs: 1000 },
  ],
  evaluators: [
    { id: 'exact', type: 'langevals/exact_match', settings: { case_sensitive: false }, inputs: { output: 'output', expected_output: 'row.expected' }, targets: ['p', 'c'] },
    { id: 'rules', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'matches_regex', value: '^q' }] } },
    { id: 'js', type: 'custom_code', settings: { code: 'return true', timeoutMs: 100 }, threshold: 0.5, weight: 1, negate: false },
  ],
  execution: { concurrency: 2, repeats: 1, timeoutMs: 5000, maxRetries: 0, cache: false, budgetUsd: 1 },
  thresholds: { passRate: 50 },
  metadata: { team: 'x' },
};

/** Every path of the document (containers and leaves), root excluded. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
}
const PATHS = pathsOf(BASE);

/** A copy of `doc` with `value` at `path`, or undefined when an earlier change removed the place. */
function setAt(doc: unknown, path: Path, value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) {
    node = node[key] as Record<string | number, unknown>;
    if (node === null || typeof node !== 'object') return undefined;
  }
  const last = path[path.length - 1]!;
  if (value === REMOVE) {
    if (Array.isArray(node) && typeof last === 'number') node.splice(last, 1);
    else delete node[last];
  } else {
    // defineProperty: a "__proto__" or "constructor" key stays a plain key.
    Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

const REMOVE = Symbol('remove');
const odd = fc.oneof(
  fc.anything({ maxDepth: 2, maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<unknown>(
    REMOVE, REMOVE, null, '', ' ', -1, 0, 1e308, -0.5, 2 ** 53, true, [], {}, [[[[]]]], 'x'.repeat(300), 'x'.repeat(1_000_001),
    '{{', '{% for %}', '{{ secrets.TOKEN }}', '$..*', '(a+)+$', '(?=x)', 'openai/', '/', 'a/b', 'UPPER', 'runs', '__proto__',
    { __proto__: null, constructor: { prototype: { polluted: true } } }, { value: 1, extra: 2 }, ['p', 'p'], Array.from({ length: 60 }, (_, i) => ({ id: `t${i}`, type: 'code', code: 'return 1' })),
  ),
);

const mutationArb = fc.array(fc.tuple(fc.constantFrom(...PATHS), odd), { minLength: 1, maxLength: 3 });

/** True when the two paths are on one branch (one is a prefix of the other). */
function related(a: Path, b: Path): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (String(a[i]) !== String(b[i])) return false;
  return true;
}

/** Cross-field rules name another place than the field changed (a duplicate id, an unknown target, …). */
const CROSS_FIELD = /duplicate|unknown target|at least two targets|secrets/;

describe('hostile experiment documents', () => {
  it('refuse mutated documents naming the field, store accepted ones exactly, never 500', async () => {
    let version = 1;
    expect((await t.req('PUT', '/api/experiments/base', { body: BASE })).status).toBe(201);
    const tally = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(mutationArb, fc.constantFrom('post', 'put'), fc.boolean(), async (generated, method, yaml) => {
        let mutations = generated;
        let doc: unknown = BASE;
        const applied: typeof mutations = [];
        for (const [path, value] of mutations) {
          const next = setAt(doc, path, value);
          if (next === undefined) continue;
          doc = next;
          applied.push([path, value]);
        }
        mutations = applied;
        const text = yaml ? YAML.stringify(doc ?? null) : JSON.stringify(doc);
        const headers = { 'content-type': yaml ? 'application/yaml' : 'application/json' };
        const url = method === 'post' ? '/api/experiments' : '/api/experiments/base';
        const what = `${method} ${mutations.map(([p, v]) => `${p.join('.')}=${String(JSON.stringify(v) ?? String(v)).slice(0, 40)}`).join(', ')}`;
        const res = await within(t.req(method.toUpperCase(), url, { raw: text, headers }), 10_000, what);
        const body = await saneAnswer(res, what);
        expectNoPollution();
        if (res.status === 201 || res.status === 200) {
          tally.accepted++;
          const saved = body as { slug: string; version: number; document: unknown };
          expect(experimentDocumentSchema.safeParse(saved.document).success, what).toBe(true);
          if (method === 'put') expect(saved.version, what).toBe(++version);
          const got = (await (await t.req('GET', `/api/experiments/${saved.slug}?version=${saved.version}`)).json()) as { document: unknown };
          expect(got.document).toEqual(saved.document);
          return;
        }
        tally.refused++;
        expect([400, 409, 413], what).toContain(res.status);
        if (res.status !== 400 || body!.error !== 'validation_error') return;
        const issues = body!.issues as { path: Path; message: string }[];
        expect(Array.isArray(issues) && issues.length > 0, what).toBe(true);
        for (const issue of issues) {
          expect(Array.isArray(issue.path) && typeof issue.message === 'string', what).toBe(true);
        }
        // The refusal points at what was changed (or at a field a cross-field rule names).
        const pointed = issues.some((i) => mutations.some(([p]) => related(i.path, p)) || CROSS_FIELD.test(i.message));
        expect(pointed, `${what} → ${JSON.stringify(issues).slice(0, 300)}`).toBe(true);
      }),
      { numRuns: 250, seed: SEED },
    );
    // The PUT target has exactly the versions the accepted PUTs made.
    const latest = (await (await t.req('GET', '/api/experiments/base')).json()) as { version: number };
    expect(latest.version).toBe(version);
    await expectHealthy(t);
    console.log(`documents: seed ${SEED}, 250 mutations, ${tally.accepted} accepted, ${tally.refused} refused`);
  }, 60_000);
});

/** Liquid-ish text: tags, filters, ranges, and plain characters, in any order. */
const templateArb = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '{{', '}}', '{%', '%}', '{{-', '-}}', ' ', 'question', 'row', 'secrets.TOKEN', 'parameters.x', '|', 'upcase', 'append: "x"', 'raw', 'nosuch',
        'for i in (1..3)', 'endfor', 'if', 'endif', 'else', 'assign a = 1', 'capture c', 'endcapture', 'include "x"', 'render "y"', 'comment',
        'endcomment', 'raw', 'endraw', '"', "'", '..', '(', ')', '[', ']', '0', 'nil', 'empty', 'forloop.index', 'cycle "a","b"', 'tablerow t in (1..2)',
        'endtablerow', 'liquid', 'echo', 'increment n', 'break', 'continue', 'case', 'when', 'endcase', 'layout "z"',
      ),
      fc.string({ maxLength: 3 }),
    ),
    { maxLength: 14 },
  )
  .map((parts) => parts.join(''));

/** Where a template can live, with the path its issue must name. */
const PLACES: { path: Path; put(doc: typeof BASE, template: string): void }[] = [
  { path: ['targets', 0, 'messages', 1, 'content'], put: (d, s) => void (d.targets[0]!.messages![1]!.content = s) },
  { path: ['targets', 1, 'url'], put: (d, s) => void (d.targets[1]!.url = s) },
  { path: ['targets', 1, 'headers', 'X-Q'], put: (d, s) => void (d.targets[1]!.headers!['X-Q'] = s) },
  { path: ['targets', 1, 'auth', 'token'], put: (d, s) => void (d.targets[1]!.auth!.token = s) },
  { path: ['targets', 1, 'body', 'message'], put: (d, s) => void ((d.targets[1]!.body as Record<string, unknown>).message = s) },
  { path: ['targets', 1, 'body', 'list', 0], put: (d, s) => void ((d.targets[1]!.body as { list: unknown[] }).list[0] = s) },
];

/** The URL rule at save time: written out without templates, it must be an http(s) URL; no literal scheme but http(s). */
function urlRefused(url: string): boolean {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') return true;
  return !url.includes('{{') && !url.includes('{%') && !URL.canParse(url);
}

describe('hostile Liquid templates at save time', () => {
  it('are refused exactly when they do not parse, naming the field', async () => {
    const tally = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(templateArb, fc.nat(PLACES.length - 1), async (template, at) => {
        const place = PLACES[at]!;
        const doc = structuredClone(BASE);
        place.put(doc, template);
        const what = `${place.path.join('.')} = ${JSON.stringify(template)}`;
        const res = await within(t.req('POST', '/api/experiments', { body: doc }), 10_000, what);
        const body = await saneAnswer(res, what);
        const problem = compileCheck(template);
        if (template === '' && place.path[2] === 'url') return; // an empty url is refused by its own rule
        if (place.path[2] === 'url' && problem === null && urlRefused(template)) {
          // A URL that can never be called: refused by the URL rule, naming the url.
          expect(res.status, what).toBe(400);
          expect((body!.issues as { path: Path }[]).some((i) => JSON.stringify(i.path) === JSON.stringify(place.path)), what).toBe(true);
          tally.refused++;
          return;
        }
        const secretsOutside = /\{\{-?\s*secrets\./.test(template) && (place.path[2] === 'messages' || place.path[2] === 'body');
        if (problem === null && !secretsOutside) {
          expect(res.status, `${what}: ${JSON.stringify(body).slice(0, 300)}`).toBe(201);
          tally.accepted++;
          return;
        }
        tally.refused++;
        expect(res.status, what).toBe(400);
        const issues = body!.issues as { path: Path; message: string }[];
        if (problem !== null) {
          const named = issues.find((i) => JSON.stringify(i.path) === JSON.stringify(place.path));
          expect(named, `${what} → ${JSON.stringify(issues)}`).toBeDefined();
          expect(named!.message).toMatch(/^template does not parse: /);
          expect(body!.message).toContain(place.path.join('.'));
        }
      }),
      { numRuns: 300, seed: SEED },
    );
    await expectHealthy(t);
    console.log(`templates at save time: seed ${SEED}, 300 templates, ${tally.accepted} accepted, ${tally.refused} refused`);
  }, 60_000);
});

describe('templates too large to parse in one go', () => {
  it('refuses a template of more than 10,000 tags at save, naming the field, and keeps one of 10,000', async () => {
    const doc = structuredClone(BASE);
    PLACES[4]!.put(doc, '{{ question }} '.repeat(MAX_TEMPLATE_TAGS + 1));
    const refused = await t.req('POST', '/api/experiments', { body: doc });
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { issues: { path: Path; message: string }[] };
    expect(body.issues).toEqual([{ path: PLACES[4]!.path, message: `template does not parse: more than ${MAX_TEMPLATE_TAGS} tags ({{ }} or {% %}) in one template` }]);
    PLACES[4]!.put(doc, '{{ question }} {% if row %}x{% endif %}{{ row.q }}'.repeat(MAX_TEMPLATE_TAGS / 4));
    expect((await t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
    await expectHealthy(t);
  });
});
