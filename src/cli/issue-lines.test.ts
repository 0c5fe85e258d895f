// Lines of the server's issue paths in a pushed file: keys, list items, a field the file lacks
// (its parent's line), and compile errors inside block, plain and quoted code.
import { describe, expect, it } from 'vitest';
import { issueLocator } from './issue-lines.js';

const yaml = [
  'name: Lines', //                         1
  'targets:', //                            2
  '  - id: a', //                           3
  '    type: code', //                      4
  '    code: |', //                         5
  '      const x = 1;', //                  6
  '      return x +;', //                   7
  '  - { id: b, type: code, code: "return +;" }', // 8
  'evaluators:', //                         9
  '  - id: judge', //                       10
  '    type: custom_code', //               11
  '    settings:', //                       12
  '      code: >-', //                      13
  '        return', //                      14
  '        { score: };', //                 15
].join('\n');

describe('issueLocator', () => {
  const at = issueLocator(yaml);
  it('finds keys and list items by their path', () => {
    expect(at(['name'], 'too long')).toBe(1);
    expect(at(['targets', 0, 'type'], 'bad')).toBe(4);
    expect(at(['targets', 1, 'id'], 'bad')).toBe(8);
    expect(at(['evaluators', 0], 'bad')).toBe(10);
  });
  it("gives a missing field its parent's line, and a path outside the file none", () => {
    expect(at(['targets', 1, 'timeoutMs'], 'required')).toBe(8);
    expect(at(['evaluators', 0, 'settings', 'model'], 'required')).toBe(12);
    expect(issueLocator('[')(['name'], 'x')).toBeUndefined();
  });
  it('puts a compile error on its line inside a block scalar, literal or folded', () => {
    expect(at(['targets', 0, 'code'], "code does not compile: Unexpected token ';' (line 2)")).toBe(7);
    expect(at(['evaluators', 0, 'settings', 'code'], "code does not compile: Unexpected token '}' (line 1)")).toBe(14);
  });
  it('maps only the first line of a one-line string', () => {
    expect(at(['targets', 1, 'code'], "code does not compile: Unexpected token ';' (line 1)")).toBe(8);
    expect(at(['targets', 1, 'code'], 'code does not compile: x (line 3)')).toBeUndefined();
  });
});
