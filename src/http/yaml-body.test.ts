// YAML values with no JSON form (hostile-input review): `!!set` and `!!omap` were stored as `{}`,
// `.inf` and `1e400` as null and a timestamp as an ISO string, without a word. They are now a
// 400 naming the tag (or value) and its line; JSON-shaped YAML reads as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAssayError } from '../core/errors.js';
import { setTurnBudget, TURN_BUDGET_MS } from '../core/turns.js';
import { turnsDuring } from '../testing/turns.js';
import { startTestAssay, type TestAssay } from '../testing/harness.js';
import { parseYamlBody } from './yaml-body.js';

const LIMIT = 1024 * 1024;

/** The code and message parseYamlBody refuses `text` with. */
async function refusal(text: string): Promise<{ code: string; message: string }> {
  try {
    await parseYamlBody(text, LIMIT);
  } catch (error) {
    if (isAssayError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error(`accepted: ${text}`);
}

describe('parseYamlBody refuses values JSON cannot hold', () => {
  const cases: [string, string, string][] = [
    ['!!set', 'rows:\n  - q: !!set {a, b}\n', 'Invalid YAML at line 2: !!set has no JSON form; write a list instead'],
    ['!!omap', 'rows:\n  - q: x\n    o: !!omap [{x: 1}, {y: 2}]\n', 'Invalid YAML at line 3: !!omap has no JSON form'],
    ['!!pairs', 'p: !!pairs [{x: 1}, {x: 2}]\n', 'Invalid YAML at line 1: !!pairs has no JSON form'],
    ['!!binary', 'a: 1\nb: !!binary aGVsbG8=\n', 'Invalid YAML at line 2: !!binary has no JSON form'],
    ['!!timestamp', 'when: !!timestamp 2001-12-14\n', 'Invalid YAML at line 1: a timestamp (!!timestamp) has no JSON form; quote it'],
    ['a YAML 1.1 plain timestamp', '%YAML 1.1\n---\nwhen: 2001-12-14\n', 'Invalid YAML at line 3: a timestamp (!!timestamp) has no JSON form'],
    ['.inf', 'a: .inf\n', 'Invalid YAML at line 1: .inf has no JSON form (JSON numbers are finite)'],
    ['-.inf in a list', 'a:\n  - 1\n  - -.inf\n', 'Invalid YAML at line 3: -.inf has no JSON form'],
    ['.nan', 'a: .nan\n', 'Invalid YAML at line 1: .nan has no JSON form'],
    ['a number past the double range', 'a: 1e400\n', 'Invalid YAML at line 1: 1e400 has no JSON form'],
    ['a set used as a key', '? !!set {a}\n: 1\n', 'Invalid YAML at line 1: !!set has no JSON form'],
    ['a merge tag as a value', 'a: !!merge <<\n', 'Invalid YAML at line 1: a merge key (<<) may only be a mapping key'],
    ['a repeated key', 'a: 1\nb: 2\na: 3\n', 'Invalid YAML at line 3: Map keys must be unique'],
    ['a repeated key in a flow mapping', 'x: {k: 1, k: 2}\n', 'Invalid YAML at line 1: Map keys must be unique'],
    ['null and ~ as keys', 'null: 1\n~: 2\n', 'Invalid YAML at line 2: Map keys must be unique'],
    // One JSON key: the second replaced the first without a word.
    ['a number and a string that are one JSON key', 'x:\n  1: a\n  "1": b\n', 'Invalid YAML at line 3: Map keys must be unique'],
  ];
  for (const [name, text, message] of cases) {
    it(name, async () => {
      const got = await refusal(text);
      expect(got.code).toBe('invalid_yaml');
      expect(got.message.startsWith(message), got.message).toBe(true);
    });
  }

  it('refuses a set behind an alias where the anchor stands', async () => {
    expect((await refusal('a: &s !!set {x}\nb: *s\n')).message).toContain('line 1: !!set');
  });
});

describe('parseYamlBody reads JSON-shaped YAML as before', () => {
  it('keeps strings, numbers, booleans, nulls, lists and mappings', async () => {
    expect(await parseYamlBody('a: 1\nb: -2.5e3\nc: true\nd: ~\ne: [x, "2001-12-14"]\nf: {g: h}\n', LIMIT)).toEqual({ a: 1, b: -2500, c: true, d: null, e: ['x', '2001-12-14'], f: { g: 'h' } });
  });

  it('keeps explicit JSON tags and plain dates (strings in YAML 1.2)', async () => {
    expect(await parseYamlBody('a: !!str 1\nb: !!int "3"\nc: 2001-12-14\nd: !!map {x: 1}\ne: !!seq [1]\n', LIMIT)).toEqual({ a: '1', b: 3, c: '2001-12-14', d: { x: 1 }, e: [1] });
  });

  it('merges YAML 1.1 merge keys, which may repeat', async () => {
    expect(await parseYamlBody('%YAML 1.1\n---\nbase: &b {x: 1}\nrow:\n  <<: *b\n  z: 2\n', LIMIT)).toEqual({ base: { x: 1 }, row: { x: 1, z: 2 } });
    expect(await parseYamlBody('%YAML 1.1\n---\nb: &b {x: 1}\nc: &c {w: 2}\nrow:\n  <<: *b\n  <<: *c\n', LIMIT)).toEqual({ b: { x: 1 }, c: { w: 2 }, row: { x: 1, w: 2 } });
  });

  it('takes the same key in different mappings, and a mapping of 12,000 keys', async () => {
    expect(await parseYamlBody('a: {k: 1}\nb: {k: 2}\n', LIMIT)).toEqual({ a: { k: 1 }, b: { k: 2 } });
    const many = Array.from({ length: 12_000 }, (_, i) => `k${i}: ${i}`).join('\n');
    expect(Object.keys((await parseYamlBody(many, LIMIT)) as object)).toHaveLength(12_000);
  });
});

describe('parseYamlBody and the event loop', () => {
  it('reads a long document over turns of the event loop (lexing and parsing ≈ 100 ms for 128 KB of keys)', async () => {
    const many = Array.from({ length: 5_000 }, (_, i) => `k${i}: ${i}`).join('\n');
    setTurnBudget(0);
    try {
      let keys = 0;
      const turns = await turnsDuring(async () => {
        keys = Object.keys((await parseYamlBody(many, LIMIT)) as object).length;
      });
      expect(keys).toBe(5_000);
      // A turn every 1,024 lexemes (five a line here); before, none at all.
      expect(turns).toBeGreaterThanOrEqual(10);
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
    }
  });
});

describe('POST /api/experiments with YAML', () => {
  let t: TestAssay;
  beforeAll(async () => {
    t = await startTestAssay();
  });
  afterAll(() => t.close());

  it('refuses the reported !!set and !!omap rows with a 400 naming the tag and line, and stores nothing', async () => {
    const text = [
      'slug: tagged', 'name: tagged', 'dataset:',
      '  rows: [{q: !!set {a, b}, o: !!omap [{x: 1}, {y: 2}]}]',
      'targets:', '  - {id: c, type: code, code: "return 1"}', '',
    ].join('\n');
    const res = await t.req('POST', '/api/experiments', { raw: text, headers: { 'content-type': 'application/yaml' } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('invalid_yaml');
    expect(body.message).toBe('Invalid YAML at line 4: !!set has no JSON form; write a list instead');
    expect((await t.req('GET', '/api/experiments/tagged')).status).toBe(404);
  });
});

describe('YAML where only JSON is read', () => {
  let t: TestAssay;
  beforeAll(async () => {
    t = await startTestAssay();
  });
  afterAll(() => t.close());

  it('is a 415 saying the endpoint takes JSON, not a JSON syntax error hinting to send YAML', async () => {
    // Where YAML is read, it is.
    const saved = await t.req('POST', '/api/experiments', { raw: 'slug: yaml-ok\nname: YAML ok\ndataset:\n  rows: [{q: a}]\ntargets:\n  - id: t\n    type: code\n    code: return row.q\n', headers: { 'content-type': 'application/yaml' } });
    expect(saved.status).toBe(201);
    const bodies: [string, string][] = [['/api/secrets/OPENAI_API_KEY', 'PUT'], ['/api/datasets', 'POST'], ['/api/experiments/yaml-ok/run', 'POST']];
    for (const [path, method] of bodies) {
      for (const type of ['application/yaml', 'text/yaml; charset=utf-8']) {
        const res = await t.req(method, path, { raw: 'value: sk-not-json\n', headers: { 'content-type': type } });
        expect(res.status, `${method} ${path} ${type}`).toBe(415);
        const body = (await res.json()) as { error: string; message: string };
        expect(body.error).toBe('unsupported_media_type');
        expect(body.message).toBe(`This endpoint takes JSON, not YAML (Content-Type: ${type.split(';')[0]}); only experiment documents take YAML (POST /api/experiments, PUT /api/experiments/{slug}, \`assay push FILE\`)`);
        expect(body.message).not.toContain('sk-not-json');
      }
    }
    // Nothing was run or stored.
    expect(((await (await t.req('GET', '/api/experiments/runs?experimentSlug=yaml-ok')).json()) as { runs: unknown[] }).runs).toEqual([]);
  });
});
