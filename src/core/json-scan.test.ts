import { describe, expect, it } from 'vitest';
import { jsonShapeProblem } from './json-scan.js';

const limits = { maxDepth: 4, maxContainers: 10 };

describe('jsonShapeProblem', () => {
  it('passes JSON within the limits, whatever its strings hold', () => {
    expect(jsonShapeProblem('{"a":[1,{"b":[2]}]}', limits)).toBeNull();
    // Brackets, braces, quotes and backslashes inside strings are not structure.
    expect(jsonShapeProblem(JSON.stringify({ s: '[[[[[[{{{{{{', t: 'say "[[[["', u: 'end\\', v: '\\"[[[[[[' }), limits)).toBeNull();
    expect(jsonShapeProblem('"just a string"', limits)).toBeNull();
  });

  it('names the depth past the limit, and stops there', () => {
    expect(jsonShapeProblem('[[[[1]]]]', limits)).toBeNull();
    expect(jsonShapeProblem('[[[[[1]]]]]', limits)).toBe('nested more than 4 levels deep');
    // Four million levels: refused at the fifth, the rest of the text never read.
    expect(jsonShapeProblem('['.repeat(4_000_000) + ']'.repeat(4_000_000), limits)).toBe('nested more than 4 levels deep');
  });

  it('counts every array and object, siblings included', () => {
    expect(jsonShapeProblem(`[${Array(9).fill('[]').join(',')}]`, limits)).toBeNull();
    expect(jsonShapeProblem(`[${Array(10).fill('{}').join(',')}]`, limits)).toBe('more than 10 arrays and objects');
  });

  it('leaves text that is not JSON to JSON.parse', () => {
    expect(jsonShapeProblem('{"unterminated', limits)).toBeNull();
    expect(jsonShapeProblem('not json', limits)).toBeNull();
  });
});
