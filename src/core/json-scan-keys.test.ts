// The scan's bounds for text whose strings may be parsed again (a model's structured answer): keys
// counted by their colons, and brackets, commas and colons inside strings when asked to.
import { describe, expect, it } from 'vitest';
import { jsonShapeProblem } from './json-scan.js';

describe('maxKeys', () => {
  const limits = { maxDepth: 8, maxContainers: 100, maxKeys: 3 };

  it('counts keys by their colons, in every object, and not inside strings by default', () => {
    expect(jsonShapeProblem('{"a":1,"b":{"c":2}}', limits)).toBeNull();
    expect(jsonShapeProblem('{"a":1,"b":{"c":2,"d":3}}', limits)).toBe('more than 3 keys');
    expect(jsonShapeProblem('{"a":"1:2:3:4:5"}', limits)).toBeNull();
  });
});

describe('maxDistinctKeys', () => {
  const limits = { maxDepth: 8, maxContainers: 1_000_000, maxDistinctKeys: 3 };
  const rows = (n: number, keys: string[]) => `[${Array.from({ length: n }, () => `{${keys.map((k) => `"${k}":1`).join(',')}}`).join(',')}]`;

  it('counts each key once, however many objects repeat it', () => {
    expect(jsonShapeProblem(rows(50_000, ['a', 'b', 'c']), limits)).toBeNull();
    expect(jsonShapeProblem(rows(1, ['a', 'b', 'c', 'd']), limits)).toBe('more than 3 distinct keys');
    expect(jsonShapeProblem('[{"a":1},{"b":{"c":2}},{"d":3}]', limits)).toBe('more than 3 distinct keys');
  });

  it('reads keys as whole strings: not values, not colons inside strings, and a longer key is another key', () => {
    expect(jsonShapeProblem('{"a":"x","b":"y:z","c":["d","e"]}', limits)).toBeNull();
    expect(jsonShapeProblem('{"a":1,"aa":2,"aaa":3,"aaaa":4}', limits)).toBe('more than 3 distinct keys');
    expect(jsonShapeProblem('{"a\\"b":1,"a":2,"b":3}', limits)).toBeNull();
    expect(jsonShapeProblem(JSON.stringify({ 'a"b': 1, a: 2, b: 3, c: 4 }), limits)).toBe('more than 3 distinct keys');
  });

  it('tells apart thousands of keys (the table grows without losing any)', () => {
    const many = (n: number) => `{${Array.from({ length: n }, (_, i) => `"key-${i}":0`).join(',')}}`;
    const big = { maxDepth: 8, maxContainers: 10, maxDistinctKeys: 20_000 };
    expect(jsonShapeProblem(many(20_000), big)).toBeNull();
    expect(jsonShapeProblem(many(20_001), big)).toBe('more than 20,000 distinct keys');
    expect(jsonShapeProblem(`[${many(20_000)},${many(20_000)}]`, big)).toBeNull();
  });

  it('counts in the structure only when strings are read too', () => {
    expect(jsonShapeProblem(JSON.stringify({ content: '{"a":1,"b":2,"c":3,"d":4}' }), { ...limits, inStrings: true })).toBeNull();
    expect(jsonShapeProblem('{"a":"[","b":"{","c":"]","d":"}"}', { ...limits, inStrings: true })).toBe('more than 3 distinct keys');
  });
});

describe('inStrings', () => {
  const limits = { maxDepth: 2, maxContainers: 4, maxValues: 4, maxKeys: 2, inStrings: true };

  it('counts the arrays, values and keys JSON inside a string would build', () => {
    // The answer's object and the string's three arrays: four.
    expect(jsonShapeProblem(JSON.stringify({ content: '[[],[]]' }), limits)).toBeNull();
    expect(jsonShapeProblem(JSON.stringify({ content: '[[],[],[]]' }), limits)).toBe('more than 4 arrays and objects');
    expect(jsonShapeProblem(JSON.stringify(['1,2,3,4']), limits)).toBeNull();
    expect(jsonShapeProblem(JSON.stringify(['1,2,3,4,5']), limits)).toBe('more than 4 values');
    expect(jsonShapeProblem(JSON.stringify({ content: '{"a":1,"b":2}' }), limits)).toBe('more than 2 keys');
  });

  it('reads escapes: an escaped quote does not end the string, an escaped backslash does not hide its end', () => {
    expect(jsonShapeProblem(JSON.stringify({ a: 'say "[[[[" \\' }), limits)).toBe('more than 4 arrays and objects');
    expect(jsonShapeProblem(`[${JSON.stringify('end\\')}, "x"]`, limits)).toBeNull();
  });

  it('leaves the depth to the structure outside strings', () => {
    expect(jsonShapeProblem(JSON.stringify({ a: '[[' }), limits)).toBeNull();
    expect(jsonShapeProblem('[[[1]]]', limits)).toBe('nested more than 2 levels deep');
  });
});
