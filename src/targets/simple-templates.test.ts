// Templates of text and plain `{{ a.b }}` outputs are rendered without Liquid (templates.ts).
// Whatever the template, scope and escape, the text must be the one Liquid renders: each case
// here is rendered both ways and compared.
import { describe, expect, it } from 'vitest';
import { CallError } from '../core/model/results.js';
import { evaluateWithLiquid, jsonStringEscape, type OutputEscape, RENDER_LIMITS, renderJsonTemplate, renderString, renderWithLiquid, urlEscape } from './templates.js';

const scope = JSON.parse(
  JSON.stringify({
    question: 'What is "2+2"?\nSay it & mean it',
    n: 3,
    x: 1.5,
    big: 1e21,
    yes: true,
    no: false,
    none: null,
    empty: '',
    obj: { a: 1, nested: { deep: 'down', list: [1, 2] }, none: null },
    list: ['a', 'b', { c: 1 }],
    messages: [{ role: 'user', content: 'hi' }],
    size: 'a column named size',
    first: 'first column',
    parameters: { lang: 'fr', n: 2 },
    constructor: 'a column named constructor',
    toString: 'shadowing',
    with_digits_1: 'd1',
  }),
) as Record<string, unknown>;
// A key JSON can hold but an object literal cannot name.
scope.__proto__ = JSON.parse('{"__proto__": {"polluted": true}}').__proto__;

const templates = [
  '{{question}}',
  '{{ question }}',
  'Q: {{ question }} ({{n}} times, x={{x}}, big={{big}})',
  '{{yes}}/{{no}}/{{none}}/{{empty}}/{{missing}}',
  '{{ obj }} {{ obj.a }} {{ obj.nested }} {{ obj.nested.deep }} {{ obj.nested.list }} {{ obj.none }} {{ obj.none.x }} {{ obj.missing.x }}',
  '{{ list }} {{ messages }}',
  '{{ parameters.lang }}-{{ parameters.n }}-{{ parameters.missing }}',
  // Left to Liquid: literals, size/first/last, prototype names, paths through arrays and strings.
  '{{ nil }}{{ true }}{{ empty }}{{ blank }}',
  '{{ size }} {{ first }} {{ list.size }} {{ list.first }} {{ question.size }}',
  '{{ constructor }} {{ toString }} {{ __proto__ }} {{ obj.constructor }} {{ __proto__.polluted }}',
  '{{ list.c }} {{ question.length }} {{ n.x }}',
  // Not simple: filters, tags, whitespace control, brackets, odd delimiters.
  '{{ question | upcase }}',
  '{%- if yes -%}yes{%- endif -%} {{ n }}',
  'a  {{- question -}}  b',
  '{{ obj["a"] }} {{ list[0] }}',
  'braces { } and }} alone, {{ with_digits_1 }}',
  'multi\nline {{\n  question\n}} end',
  '',
  'no outputs at all',
];
const escapes: [string, OutputEscape | undefined][] = [
  ['none', undefined],
  ['json', jsonStringEscape],
  ['url', urlEscape],
];

describe('simple templates', () => {
  for (const [name, escape] of escapes) {
    it(`render as Liquid does (escape: ${name})`, () => {
      for (const template of templates) {
        expect(renderString(template, scope, escape), template).toBe(renderWithLiquid(template, scope, escape));
      }
    });
  }

  it('give JSON body leaves the typed value Liquid gives', () => {
    for (const expression of ['question', 'n', 'yes', 'none', 'missing', 'obj', 'obj.nested.list', 'list', 'parameters.lang', 'obj.none.x', 'size', 'list.size', 'constructor', 'question.size']) {
      expect(renderJsonTemplate(`{{ ${expression} }}`, scope), expression).toEqual(evaluateWithLiquid(expression, scope));
    }
  });

  it('count what they write against the turn output limit', () => {
    const huge = { text: 'x'.repeat(RENDER_LIMITS.outputChars + 1) };
    expect(() => renderString('{{ text }}', huge)).toThrow(CallError);
    expect(() => renderString('{{ text }}', huge)).toThrow(/output limit/);
    expect(() => renderJsonTemplate('{{ text }}', huge)).toThrow(/output limit/);
    expect(renderString('{{ text }}', { text: 'x'.repeat(1000) })).toHaveLength(1000);
  });
});
