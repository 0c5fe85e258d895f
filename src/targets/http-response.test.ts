// Output selection by JSONPath: results, and the library's path cache staying bounded when
// experiments keep saving new paths.
import { JSONPath } from 'jsonpath-plus';
import { describe, expect, it } from 'vitest';
import { CallError } from '../core/model/results.js';
import { MAX_ANSWER_STRINGS } from '../core/json-scan.js';
import { bodyValue, cachedPathCount, excerpt, MAX_CACHED_PATHS, MAX_JSON_CONTAINERS, MAX_JSON_DEPTH, outputPathProblem, selectOutput } from './http-response.js';
import { Redactor } from './redact.js';

const none = new Redactor([]);

describe('selectOutput', () => {
  it('selects with JSONPath, unwrapping a single match', () => {
    const answer = { choices: [{ message: { content: 'hi' } }, { message: { content: 'there' } }] };
    expect(selectOutput('$.choices[0].message.content', answer, none)).toBe('hi');
    expect(selectOutput('$.choices[*].message.content', answer, none)).toEqual(['hi', 'there']);
    expect(selectOutput('$.missing', answer, none)).toBeUndefined();
  });

  it('keeps the parsed-path cache bounded however many distinct paths are used', () => {
    const answer = { a: { b: 1 } };
    for (let i = 0; i < MAX_CACHED_PATHS * 3; i++) expect(selectOutput(`$.a.b${i === 0 ? '' : `.x${i}`}`, answer, none)).toBe(i === 0 ? 1 : undefined);
    expect(cachedPathCount()).toBeGreaterThan(0);
    expect(cachedPathCount()).toBeLessThanOrEqual(MAX_CACHED_PATHS + 10);
    // Still correct after the cache was emptied.
    expect(selectOutput('$.a.b', answer, none)).toBe(1);
  });
});

describe('selectOutput scripts', () => {
  const store = {
    store: {
      book: [
        { category: 'reference', title: 'Sayings', price: 8.95 },
        { category: 'fiction', title: 'Sword', price: 12.99 },
        { category: 'fiction', title: 'Moby Dick', isbn: '0-553', price: 8.99 },
        { category: 'fiction', title: 'Rings', isbn: '0-395', price: 22.99 },
      ],
      bicycle: { color: 'red', price: 19.95 },
    },
  };
  const failure = (path: string, value: unknown, redactor = none): CallError => {
    try {
      selectOutput(path, value, redactor);
    } catch (error) {
      expect(error).toBeInstanceOf(CallError);
      return error as CallError;
    }
    throw new Error(`${path} did not fail`);
  };

  it("gives the jsonpath-plus README's filter results, as jsonpath-plus's own evaluator does", () => {
    const paths = [
      '$..book[(@.length-1)]', '$..book[?(@.isbn)]', '$..book[?(@.price<10)]', "$..*[?(@property === 'price' && @ !== 8.95)]", '$..[?(@.price>19)]^',
      `$.store.book[?(@path !== "$['store']['book'][0]")]`, '$..book[?(@parent.bicycle && @parent.bicycle.color === "red")].category',
      '$..book.*[?(@property !== "category")]', '$..book[?(@property !== 0)]', '$.store.*[?(@parentProperty !== "book")]',
      '$..book[?(@.price === @root.store.book[2].price)]',
    ];
    for (const path of paths) {
      expect(outputPathProblem(path), path).toBeNull();
      expect(selectOutput(path, store, none), path).toEqual(JSONPath({ path, json: store, eval: 'safe', wrap: false }));
    }
    expect(selectOutput('$..book[?(@.price > $.store.bicycle.price)].title', store, none)).toEqual(['Rings']);
  });

  it('refuses a filter that calls, before evaluating it, whatever the answer', () => {
    const hostile = "$[?(@.length > 1 && @.repeat(100000000).split('').length > 0)]";
    expect(outputPathProblem(hostile)).toMatch(/^a call at character 25 in filter .*calls like \.repeat\(\) are not allowed$/);
    for (const answer of [['ab', 'cd'], 'plain text', { a: 'xyz' }]) {
      const error = failure(hostile, answer);
      expect(error.message).toBe(`invalid outputPath ${hostile}: ${outputPathProblem(hostile)}`);
      expect(error.retryable).toBe(false);
    }
    expect(failure("$.a[?(@.q[?(@.x.repeat(2))])]", { a: [] }).message).toMatch(/a call at character 11 in filter "@\.x\.repeat\(2\)"/);
    expect(failure("$[?(@['constructor'])]", {}).message).toMatch(/reading "constructor"/);
  });

  it('refuses a script the answer supplies through a [(…)] key, with secrets redacted', () => {
    const answer = { k: "?(@.repeat(9) == 'tok-secret-123')", a: 1 };
    const error = failure('$[(@.k)]', answer, new Redactor(['tok-secret-123']));
    expect(error.message).toMatch(/^invalid outputPath \$\[\(@\.k\)\]: a call at character 9 in filter/);
    expect(error.message).not.toContain('tok-secret');
  });

  it('never turns an array into a string to compare it (it held the thread 21.6 s on a 60 KB answer)', () => {
    const big = Array.from({ length: 10 }, () => Array.from({ length: 3000 }, () => 1));
    const started = performance.now();
    expect(selectOutput("$.big[*][?(@parent == 'x')]", { big }, none)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_000);
    const s = 'x'.repeat(5_000_000);
    expect(failure('$.items[?(@root.s == @root.t)]', { s, t: `${s.slice(0, -1)}y`, items: Array.from({ length: 10_000 }, () => 0) }).message).toMatch(/too costly/);
  });
});

describe('excerpt', () => {
  it('redacts before it cuts, so a secret across the cut is not shown in part', () => {
    const secret = 'tok-0123456789abcdef';
    for (let at = 180; at <= 200; at++) {
      const quoted = excerpt(`${'x'.repeat(at)}${secret} and more`, new Redactor([secret]));
      expect(quoted.length).toBeLessThanOrEqual(201);
      expect(quoted).not.toContain(secret.slice(0, 4));
    }
  });
});

describe('bodyValue', () => {
  const none = new Redactor([]);

  it('refuses an answer too deep or made of too many arrays and objects, before building it', () => {
    const wide = `[${Array.from({ length: MAX_JSON_CONTAINERS }, (_, i) => `[${i}]`).join(',')}]`;
    for (const type of ['application/json', 'text/plain']) {
      expect(() => bodyValue(wide, type, 'http://agent', none)).toThrow('JSON from http://agent is made of more than 200,000 arrays and objects');
      expect(() => bodyValue('['.repeat(3_000_000) + ']'.repeat(3_000_000), type, 'http://agent', none)).toThrow(`JSON from http://agent is nested more than ${MAX_JSON_DEPTH} levels deep`);
    }
    const fits = `[${Array.from({ length: MAX_JSON_CONTAINERS - 1 }, (_, i) => `[${i}]`).join(',')}]`;
    expect(bodyValue(fits, 'application/json', 'http://agent', none)).toHaveLength(MAX_JSON_CONTAINERS - 1);
  });

  it('refuses an answer of more than a million values or 20,000 distinct keys, before building it', () => {
    const numbers = `[${Array(1_000_001).fill(0).join(',')}]`;
    expect(() => bodyValue(numbers, 'application/json', 'http://agent', none)).toThrow('JSON from http://agent is made of more than 1,000,000 values');
    const keys = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":0`).join(',')}}`;
    expect(() => bodyValue(keys(20_001), 'application/json', 'http://agent', none)).toThrow('JSON from http://agent is made of more than 20,000 distinct keys');
    expect(Object.keys(bodyValue(keys(20_000), 'application/json', 'http://agent', none) as object)).toHaveLength(20_000);
  });

  it('refuses an answer of more than 300,000 strings (keys not counted), before building it', () => {
    const strings = (n: number) => JSON.stringify({ reply: Array.from({ length: n }, (_, i) => `s${i % 100}`) });
    expect(() => bodyValue(strings(MAX_ANSWER_STRINGS + 1), 'application/json', 'http://agent', none)).toThrow('JSON from http://agent is made of more than 300,000 strings');
    expect((bodyValue(strings(MAX_ANSWER_STRINGS), 'application/json', 'http://agent', none) as { reply: string[] }).reply).toHaveLength(MAX_ANSWER_STRINGS);
    // 40,000 rows of ten number columns: 400,000 keys, no string values.
    const rows = JSON.stringify(Array.from({ length: 40_000 }, (_, i) => Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`c${k}`, i]))));
    expect(bodyValue(rows, 'application/json', 'http://agent', none)).toHaveLength(40_000);
  });
});
