// A YAML file that does not parse is reported on one line: what is wrong, where, and the text there.
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseErrorText } from './parse-error.js';

const errorOf = (text: string): string => {
  try {
    YAML.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('parsed');
};

describe('parseErrorText', () => {
  it('keeps the line and column and shows the offending text instead of ending in a colon', () => {
    const message = errorOf('name: x\ntargets: [{id: t,\n  type: code\n');
    expect(message.split('\n')[0]).toMatch(/:$/);
    expect(parseErrorText(message)).toBe('Flow map in block collection must be sufficiently indented and end with a } (line 4, column 1: "type: code")');
  });

  it('leaves a one-line message (JSON.parse) as it is', () => {
    expect(parseErrorText('Unexpected token } in JSON at position 9')).toBe('Unexpected token } in JSON at position 9');
  });
});
