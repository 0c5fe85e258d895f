import { describe, expect, it } from 'vitest';
import { asStringInput, type MemoHolder, readPath, resolveInputs, resolveMapping, UnreadableInput } from './evaluator-inputs.js';

describe('resolveInputs defaults', () => {
  it('takes input, expected_output and contexts from the same-named columns', () => {
    const row = { input: 'hi', question: 'ignored', expected_output: 'yo', expected: 'ignored', contexts: ['c1'] };
    expect(resolveInputs(undefined, row, 'out', [])).toEqual({ input: 'hi', output: 'out', expected_output: 'yo', contexts: ['c1'] });
  });

  it('falls back to question and expected when input and expected_output are missing', () => {
    const inputs = resolveInputs(undefined, { question: 'q?', expected: 'a!' }, { answer: 1 }, []);
    expect(inputs).toMatchObject({ input: 'q?', expected_output: 'a!', output: { answer: 1 } });
    expect(inputs.contexts).toBeUndefined();
  });

  it('leaves inputs undefined when the row has none of the columns', () => {
    expect(resolveInputs({}, { other: 1 }, 'o', [])).toEqual({ input: undefined, output: 'o', expected_output: undefined, contexts: undefined });
  });
});

describe('explicit mappings', () => {
  const row = {
    answer: 'gold',
    meta: { lang: 'fr', nested: { deep: 42 } },
    'a.b': 'exact dotted column',
    a: { b: 'nested path' },
    list: [{ x: 'first' }, { x: 'second' }],
  };

  it('reads a column, a nested path and array elements', () => {
    expect(resolveMapping('row.answer', row, null)).toBe('gold');
    expect(resolveMapping('row.meta.lang', row, null)).toBe('fr');
    expect(resolveMapping('row.meta.nested.deep', row, null)).toBe(42);
    expect(resolveMapping('row.list.1.x', row, null)).toBe('second');
    expect(resolveMapping('row.missing.path', row, null)).toBeUndefined();
  });

  it('prefers a column whose name contains a dot over the nested path', () => {
    expect(resolveMapping('row.a.b', row, null)).toBe('exact dotted column');
    expect(resolveMapping('row.a.b', { a: { b: 'nested path' } }, null)).toBe('nested path');
  });

  it('reads the output, a path into an output object, and a path into an output JSON string', () => {
    const output = { choices: [{ text: 'hello' }], score: 0.5 };
    expect(resolveMapping('output', row, output)).toBe(output);
    expect(resolveMapping('output.score', row, output)).toBe(0.5);
    expect(resolveMapping('output.choices.0.text', row, output)).toBe('hello');
    expect(resolveMapping('output.choices.0.text', row, JSON.stringify(output))).toBe('hello');
    expect(resolveMapping('output.score', row, '  {"score": 3}')).toBe(3);
  });

  it('gives undefined for a path into plain text or broken JSON', () => {
    expect(resolveMapping('output.score', row, 'just words')).toBeUndefined();
    expect(resolveMapping('output.score', row, '{not json')).toBeUndefined();
    expect(resolveMapping('output.length', row, 'just words')).toBeUndefined();
  });

  it('passes a literal {value} through unchanged', () => {
    expect(resolveMapping({ value: 0.7 }, row, 'o')).toBe(0.7);
    expect(resolveMapping({ value: { k: [1] } }, row, 'o')).toEqual({ k: [1] });
    expect(resolveMapping({ value: null }, row, 'o')).toBeNull();
  });

  it('applies mappings over the defaults, including new input names', () => {
    const inputs = resolveInputs({ expected_output: 'row.answer', rubric: { value: 'be nice' }, output: 'output.text' }, { input: 'i', answer: 'gold' }, { text: 't' }, []);
    expect(inputs).toEqual({ input: 'i', output: 't', expected_output: 'gold', contexts: undefined, rubric: 'be nice' });
  });
});

describe('no prototype walking', () => {
  it('does not read inherited properties through row paths', () => {
    const row = { a: { b: 1 } };
    expect(resolveMapping('row.constructor', row, null)).toBeUndefined();
    expect(resolveMapping('row.__proto__', row, null)).toBeUndefined();
    expect(resolveMapping('row.toString', row, null)).toBeUndefined();
    expect(resolveMapping('row.a.constructor.name', row, null)).toBeUndefined();
    expect(resolveMapping('row.a.hasOwnProperty', row, null)).toBeUndefined();
  });

  it('does not read inherited properties through output paths either', () => {
    expect(resolveMapping('output.constructor', {}, { x: 1 })).toBeUndefined();
    expect(resolveMapping('output.__proto__', {}, '{"x":1}')).toBeUndefined();
    expect(readPath({}, 'valueOf')).toBeUndefined();
  });

  it('does not take defaults from inherited properties', () => {
    const row = Object.create({ input: 'inherited', contexts: ['inherited'] }) as Record<string, unknown>;
    expect(resolveInputs(undefined, row, 'o', [])).toMatchObject({ input: undefined, contexts: undefined });
  });
});

describe('string inputs', () => {
  it('turns numbers, booleans, arrays and objects into JSON text and keeps strings and nulls', () => {
    expect(asStringInput(3)).toBe('3');
    expect(asStringInput(false)).toBe('false');
    expect(asStringInput({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
    expect(asStringInput(['a'])).toBe('["a"]');
    expect(asStringInput('text')).toBe('text');
    expect(asStringInput(null)).toBeNull();
    expect(asStringInput(undefined)).toBeUndefined();
  });

  it('converts only the inputs the evaluator declares as strings', () => {
    const inputs = resolveInputs(
      { expected_output: 'row.n' },
      { input: { q: 1 }, n: 5, contexts: null },
      { answer: true },
      ['output', 'expected_output', 'contexts'],
    );
    expect(inputs).toEqual({ input: { q: 1 }, output: '{"answer":true}', expected_output: '5', contexts: null });
  });
});

describe('output JSON past the shape bounds', () => {
  const wide = (n: number) => `[${Array(n).fill('[]').join(',')}]`;

  it('refuses to parse text of more arrays and objects than a request body may hold, saying why', () => {
    expect(() => readPath(wide(200_000), '0')).toThrow(UnreadableInput);
    expect(() => readPath(wide(200_000), '0')).toThrow(/more than 200,000 arrays and objects/);
    expect(readPath(wide(199_999), '0')).toEqual([]);
  });

  it('refuses text nested deeper than 64 levels, or of too many values or distinct keys', () => {
    expect(() => readPath(`${'['.repeat(65)}${']'.repeat(65)}`, '0')).toThrow(/more than 64/);
    expect(() => readPath(`[${Array(1_000_001).fill(1).join(',')}]`, '0')).toThrow(/more than 1,000,000 values/);
    const keys = `{${Array.from({ length: 20_001 }, (_, i) => `"k${i}":1`).join(',')}}`;
    expect(() => readPath(keys, 'k0')).toThrow(/distinct keys/);
  });

  it('names the input and its mapping in the reason', () => {
    expect(() => resolveInputs({ answer: 'output.0' }, {}, wide(200_000), [])).toThrow(
      'input answer (mapped from "output.0") is not read: the text is JSON with more than 200,000 arrays and objects, too large to parse for a path',
    );
  });

  it('parses the output once per memo holder, and again for another', () => {
    const holder: MemoHolder = {};
    const text = '{"a": {"b": 1}}';
    const first = readPath(text, 'a', holder);
    expect(readPath(text, 'a', holder)).toBe(first);
    expect(readPath(text, 'a', {})).not.toBe(first);
    expect(readPath(text, 'a', {})).toEqual({ b: 1 });
  });

  it('makes no memo for plain-string inputs and mappings into objects', () => {
    const holder: MemoHolder = {};
    resolveInputs({ score: 'output.score', gold: 'row.answer' }, { input: 'i', answer: 'a' }, { score: 1 }, ['input'], holder);
    resolveInputs(undefined, { input: 'i', expected: 'e' }, 'plain', ['input', 'output', 'expected_output'], holder);
    expect(holder.memo).toBeUndefined();
  });
});
