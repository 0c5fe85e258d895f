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
