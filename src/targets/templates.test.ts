import { describe, expect, it } from 'vitest';
import { CallError } from '../core/model/results.js';
import { compileCheck, jsonStringEscape, referencedKeys, renderJsonTemplate, renderString, urlEscape } from './templates.js';

const scope = {
  question: 'He said "hi"\nthen left \\ </script>',
  messages: [{ role: 'user', content: 'x' }],
  n: 3,
  flag: true,
  obj: { a: 1 },
  parameters: { lang: 'fr' },
};

describe('renderString', () => {
  it('renders row columns and parameters', () => {
    expect(renderString('{{ question | size }} {{ parameters.lang }} {{ n | plus: 1 }}', scope)).toBe(`${scope.question.length} fr 4`);
  });

  it('renders objects and arrays as JSON and missing values as nothing', () => {
    expect(renderString('{{ obj }}|{{ messages }}|{{ missing }}|{{ nil }}', scope)).toBe('{"a":1}|[{"role":"user","content":"x"}]||');
  });

  it('returns text without tags untouched', () => {
    expect(renderString('no tags here', scope)).toBe('no tags here');
  });

  it('JSON-escapes every output of a string body so quotes and newlines cannot break it', () => {
    const text = renderString('{"q": "{{question}}", "m": {{messages}}, "n": {{n}}, "f": {{flag}}, "x": "{{missing}}", "z": {{nil}}}', scope, jsonStringEscape);
    expect(JSON.parse(text)).toEqual({ q: scope.question, m: scope.messages, n: 3, f: true, x: '', z: null });
    const hostile = renderString('{"q": "{{q}}"}', { q: '", "admin": true, "x": "' }, jsonStringEscape);
    expect(JSON.parse(hostile)).toEqual({ q: '", "admin": true, "x": "' });
  });

  it('URL-encodes every output of a URL template, unless marked raw', () => {
    expect(renderString('https://h/ask/{{question}}?lang={{parameters.lang}}&n={{n}}', scope, urlEscape)).toBe(
      `https://h/ask/${encodeURIComponent(scope.question)}?lang=fr&n=3`,
    );
    expect(renderString('{{ base | raw }}/x?q={{ q }}', { base: 'https://h:1', q: 'a&b=c' }, urlEscape)).toBe('https://h:1/x?q=a%26b%3Dc');
  });

  it('cannot reach prototypes, constructors or the file system', () => {
    expect(
      renderString('[{{ obj.constructor }}|{{ obj.__proto__ }}|{{ obj.toString }}|{{ question.constructor }}|{{ messages.constructor.name }}|{{ obj.hasOwnProperty }}]', scope),
    ).toBe('[|||||]');
    expect(renderJsonTemplate('{{ obj.constructor }}', scope)).toBeNull();
    for (const template of ['{% include "/etc/passwd" %}', '{% render "package.json" %}', "{% layout 'package.json' %}x"]) {
      expect(() => renderString(template, scope)).toThrow(CallError);
    }
  });

  it('refuses unknown filters and runaway templates with a non-retryable error', () => {
    expect(() => renderString('{{ question | shout }}', scope)).toThrow(/template error: undefined filter: shout/);
    expect(() => renderString('{% for i in (1..1000000000) %}x{% endfor %}', scope)).toThrow(/memory alloc limit exceeded/);
    try {
      renderString('{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}', scope);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CallError);
      expect((error as CallError).retryable).toBe(false);
    }
  });
});

describe('renderJsonTemplate', () => {
  it('walks objects and arrays, keeping typed values for single-tag leaves', () => {
    const body = {
      messages: '{{messages}}',
      q: 'Q: {{question}}',
      n: '{{ n }}',
      nf: '{{ n | plus: 0.5 }}',
      literal: 5,
      nested: { list: ['{{obj}}', '{{ question | upcase | truncate: 5 }}', null, false] },
      missing: '{{nope}}',
      padded: ' {{n}}',
      two: '{{n}}{{n}}',
    };
    const out = renderJsonTemplate(body, scope) as Record<string, unknown>;
    const hostile = renderJsonTemplate(JSON.parse('{"__proto__": {"polluted": "{{flag}}"}}'), scope) as Record<string, unknown>;
    expect(Object.getPrototypeOf(hostile)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(hostile, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(hostile)).toBe('{"__proto__":{"polluted":true}}');
    expect(out).toEqual({
      messages: scope.messages,
      q: `Q: ${scope.question}`,
      n: 3,
      nf: 3.5,
      literal: 5,
      nested: { list: [{ a: 1 }, 'HE...', null, false] },
      missing: null,
      padded: ' 3',
      two: '33',
    });
  });
});

describe('compileCheck', () => {
  it('returns null for valid templates and the parse error otherwise', () => {
    expect(compileCheck('Hello {{ name | upcase }}{% if x %}!{% endif %}')).toBeNull();
    expect(compileCheck('{{ name ')).toMatch(/not closed/);
    expect(compileCheck('{% if x %}open')).toMatch(/not closed/);
    expect(compileCheck('{{ name | nosuch }}')).toMatch(/undefined filter: nosuch/);
  });
});

describe('referencedKeys', () => {
  it('lists the keys of a root a template reads, or all when it cannot tell', () => {
    expect(referencedKeys('Bearer {{ secrets.TOKEN }} {{ secrets["OTHER"] | strip }} {{ row.x }}', 'secrets')).toEqual(['TOKEN', 'OTHER']);
    expect(referencedKeys('{{ secrets[k] }}', 'secrets')).toBe('all');
    expect(referencedKeys('{% assign s = secrets %}{{ s.A }}', 'secrets')).toBe('all');
    expect(referencedKeys('{{ question }}', 'secrets')).toEqual([]);
  });
});
