// valid_format's non-JSON formats, through the evaluator. Expected verdicts come from the
// specification that defines each format (section cited per case) or from LangWatch's own tests
// (langwatch/langevals evaluators/langevals/tests/test_valid_format.py, "LW test" below).
import { describe, expect, it } from 'vitest';
import type { EvaluatorContext } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { noModels } from '../testing/no-models.js';
import { validFormat } from './valid-format.js';

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal };

function checker(format: string, extra: Record<string, unknown> = {}) {
  const instance = validFormat.create(validFormat.settings.parse({ format, ...extra }), { sandbox: createFakeSandbox(), models: noModels });
  return (output: unknown) => instance.evaluate({ output }, context);
}

describe('valid_format, markdown (as LangWatch: the text must use Markdown)', () => {
  const check = checker('markdown');

  it('passes the LW test\'s header and bold text', async () => {
    expect(await check('# Header\n\nThis is **bold** text')).toEqual({ status: 'processed', passed: true });
  });

  it('fails the LW test\'s two plain paragraphs with its message', async () => {
    const result = await check('This is just a normal text, no markdown formatting here\n\nBut what if I break the line?');
    expect(result).toMatchObject({ status: 'processed', passed: false });
    expect(result.details).toContain('No Markdown elements found');
  });

  // CommonMark 0.31 §4.4 indented/§4.5 fenced code, §5.2 lists, §5.1 block quotes, §6.3 links,
  // §6.1 backslash escapes, §6.7 hard line breaks; GFM §4.10 tables.
  it.each([
    ['fenced code', '```js\nconst x = 1;\n```'],
    ['a list', '- milk\n- eggs'],
    ['a block quote', '> quoted'],
    ['an inline link', 'see [the docs](https://example.com)'],
    ['an autolink in angle brackets', 'see <https://example.com>'],
    ['a backslash escape', '\\*not emphasis\\*'],
    ['a hard line break', 'line one  \nline two'],
    ['a GFM table', '| a | b |\n|---|---|\n| 1 | 2 |'],
  ])('passes %s', async (_what, output) => {
    expect(await check(output)).toMatchObject({ passed: true });
  });

  // Python-Markdown (LangWatch's renderer) passes raw HTML blocks through unchanged and does
  // not autolink bare URLs, so LangWatch finds no Markdown in either.
  it.each([
    ['raw HTML', '<div>hi</div>'],
    ['a bare URL', 'https://example.com'],
  ])('fails %s', async (_what, output) => {
    expect(await check(output)).toMatchObject({ passed: false });
  });
});

describe('valid_format, python', () => {
  const check = checker('python');

  it('passes the LW test\'s function and fails its missing colon', async () => {
    expect(await check("def hello():\n    print('Hello, World!')")).toEqual({ status: 'processed', passed: true });
    const result = await check("def hello() print('Hello, World!')");
    expect(result).toMatchObject({ passed: false });
    expect(result.details).toMatch(/^Invalid Python: syntax error at line 1, column \d+$/);
  });

  // Python Language Reference §6.2.3: a parenthesised form needs its closing parenthesis.
  it('reports an error at the end of unfinished input', async () => {
    expect(await check('x = (1, 2')).toMatchObject({ passed: false, details: 'Invalid Python: syntax error at the end of the input' });
  });

  it('fails prose and a fenced block, pointing at the fence', async () => {
    expect(await check('Here is the answer you asked for.')).toMatchObject({ passed: false });
    const fenced = await check('```python\nprint(1)\n```');
    expect(fenced.details).toContain('wrapped in a Markdown code fence; ask the model for bare Python');
  });

  it('is more lenient than CPython about assignment targets (documented deviation)', async () => {
    // CPython: "SyntaxError: cannot assign to literal"; the Lezer grammar does not check targets.
    expect(await check('1 = x')).toMatchObject({ passed: true });
  });
});

describe('valid_format, sql', () => {
  const check = checker('sql');

  it('follows the LW test: a query passes, a typo and JSON fail', async () => {
    expect(await check('SELECT * FROM users WHERE age > 18;')).toEqual({ status: 'processed', passed: true });
    const typo = await check('SELECT * FORM users WHERE age >> 18;');
    expect(typo.details).toMatch(/^Invalid SQL \(postgresql\): unexpected "F" at line 1, column 10$/);
    expect(await check('{"foo": "bar"}')).toMatchObject({ passed: false, details: 'Invalid SQL: detected JSON instead of an SQL string' });
  });

  it('accepts several statements and refuses text without one', async () => {
    expect(await check('SELECT 1; SELECT 2;')).toMatchObject({ passed: true });
    expect(await check('-- only a comment')).toMatchObject({ passed: false, details: 'Invalid SQL (postgresql): no statement found' });
    expect(await check('SELECT * FROM')).toMatchObject({ details: 'Invalid SQL (postgresql): unexpected end of input at line 1, column 14' });
  });

  // TOP is T-SQL's row limit (Microsoft docs, "TOP (Transact-SQL)"); PostgreSQL has LIMIT instead.
  it('parses in the chosen dialect', async () => {
    expect(await check('SELECT TOP 5 * FROM t')).toMatchObject({ passed: false });
    expect(await checker('sql', { sql_dialect: 'transactsql' })('SELECT TOP 5 * FROM t')).toMatchObject({ passed: true });
  });
});

describe('valid_format, xml (well-formedness, XML 1.0 Fifth Edition)', () => {
  const check = checker('xml');

  it('passes a document with a declaration, attributes, CDATA and a comment', async () => {
    const doc = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- list -->\n<items count="2"><item>a &amp; b</item><item><![CDATA[<raw>]]></item></items>';
    expect(await check(doc)).toEqual({ status: 'processed', passed: true });
  });

  it('fails mismatched end tags (§3, WFC: Element Type Match)', async () => {
    const result = await check('<a><b>x</a>');
    expect(result.details).toMatch(/^Invalid XML: Expected closing tag 'b'.*\(line 1, column 8\)$/);
  });

  it('fails repeated attributes (§3.1, WFC: Unique Att Spec) and text outside any element', async () => {
    expect(await check('<a x="1" x="2"/>')).toMatchObject({ passed: false });
    expect(await check('Sure! <a/>')).toMatchObject({ passed: false });
  });

  // §2.1: document ::= prolog element Misc*, so one root and only comments/PIs after it.
  it('fails a second root or text after a self-closing root', async () => {
    expect(await check('<a/><b/>')).toMatchObject({ passed: false, details: 'Invalid XML: content after the root element at line 1, column 5 (a document has exactly one root element)' });
    expect(await check('<a/>\ntrailing')).toMatchObject({ passed: false, details: expect.stringContaining('line 2, column 1') });
    expect(await check('<a></a><b></b>')).toMatchObject({ passed: false });
    expect(await check('<a/>\n<!-- done -->')).toMatchObject({ passed: true });
  });

  // §4.1 WFC: Entity Declared: without a DTD only amp, lt, gt, apos and quot exist (§4.6).
  it('fails undeclared entities such as &nbsp;, except in CDATA, comments or with a DTD', async () => {
    expect(await check('<p>a&nbsp;b</p>')).toMatchObject({ passed: false, details: 'Invalid XML: undeclared entity &nbsp; at line 1, column 5' });
    expect(await check('<p><![CDATA[&nbsp;]]><!-- &nbsp; --></p>')).toMatchObject({ passed: true });
    expect(await check('<!DOCTYPE p [<!ENTITY nbsp "&#160;">]><p>&nbsp;</p>')).toMatchObject({ passed: true });
  });
});

describe('valid_format, html (WHATWG HTML Living Standard)', () => {
  const check = checker('html');

  it('passes fragments, whole pages, optional end tags (§13.1.2.4) and void elements (§13.1.2)', async () => {
    for (const output of [
      '<p>Hello <b>world</b></p>',
      'Text around <em>an element</em> is fine in a fragment.',
      '<!DOCTYPE html><html><head><title>t</title></head><body><p>x</p></body></html>',
      '<html><body><p>no doctype</p></body></html>',
      '<ul><li>one<li>two</ul>',
      '<p>line<br>break <img src="a.png" alt="a"></p>',
      '<svg viewBox="0 0 1 1"><circle r="1"/></svg>',
      '<my-widget>custom element</my-widget>',
    ]) {
      expect(await check(output), output).toEqual({ status: 'processed', passed: true });
    }
  });

  // §13.2.2 parse errors: duplicate-attribute, non-void-html-element-start-tag-with-trailing-solidus,
  // invalid-first-character-of-tag-name.
  // The positions are where parse5 detects each error, not asserted here.
  it.each([
    ['<a href="x" href="y">link</a>', 'duplicate-attribute'],
    ['<div/>', 'non-void-html-element-start-tag-with-trailing-solidus'],
    ['if a < b then', 'invalid-first-character-of-tag-name'],
  ])('reports the parse error in %s', async (output, error) => {
    const result = await check(output);
    expect(result).toMatchObject({ passed: false });
    expect(result.details).toMatch(new RegExp(`^Invalid HTML: ${error} at line 1, column \\d+$`));
  });

  it('fails elements whose required end tag is missing', async () => {
    expect(await check('<div><p>cut off')).toMatchObject({ details: 'Invalid HTML: <div> at line 1, column 1 is never closed' });
    expect(await check('<div><span>x</div>')).toMatchObject({ details: 'Invalid HTML: <span> at line 1, column 6 is never closed' });
    expect(await check('<svg><g></svg>')).toMatchObject({ passed: false });
  });

  it('fails text without any HTML element', async () => {
    const message = 'Invalid HTML: no HTML elements found (only text or unknown tags)';
    expect(await check('Just a sentence.')).toMatchObject({ passed: false, details: message });
    expect(await check('<answer>42</answer>')).toMatchObject({ passed: false, details: message });
  });
});

describe('valid_format, yaml (YAML 1.2.2)', () => {
  const check = checker('yaml');

  // Examples 2.1 (sequence of scalars) and 2.3 (mapping scalars to sequences) of the spec.
  it('passes the spec\'s example collections', async () => {
    expect(await check('- Mark McGwire\n- Sammy Sosa\n- Ken Griffey\n')).toEqual({ status: 'processed', passed: true });
    expect(await check('american:\n- Boston Red Sox\n- Detroit Tigers\nnational:\n- New York Mets\n- Chicago Cubs\n')).toMatchObject({ passed: true });
    expect(await check('{"json": ["is", "yaml"]}')).toMatchObject({ passed: true });
    expect(await check('a: 1\n---\n- b\n')).toMatchObject({ passed: true });
  });

  // §3.2.1.1: "each of the keys is unique".
  it('fails duplicate keys with the position', async () => {
    expect(await check('name: a\nname: b\n')).toMatchObject({ passed: false, details: 'Invalid YAML: Map keys must be unique at line 2, column 1' });
  });

  it('fails syntax errors and a plain scalar', async () => {
    expect(await check('items: [1, 2')).toMatchObject({ passed: false });
    expect(await check('key: "unterminated')).toMatchObject({ passed: false });
    expect(await check('Just a sentence.')).toMatchObject({ passed: false, details: 'Invalid YAML: the output is a plain scalar, not a mapping or sequence' });
    expect(await check('a: 1\n---\nprose')).toMatchObject({ details: 'Invalid YAML: document 2 is a plain scalar, not a mapping or sequence' });
  });

  it('points at a code fence', async () => {
    expect((await check('```yaml\na: 1\n```')).details).toContain('ask the model for bare YAML');
  });

  // Before the depth check, the second of these aborted the whole test process (V8's "FATAL
  // ERROR: RegExpCompiler Allocation failed" while yaml composed 3,000 nested collections).
  it('fails collections nested more than 500 deep, without composing them', async () => {
    const tooDeep = { passed: false, details: 'Invalid YAML: collections nested more than 500 levels deep' };
    for (let i = 0; i < 3; i++) expect(await check(`${'['.repeat(3_000)}${']'.repeat(3_000)}`)).toMatchObject(tooDeep);
    expect(await check(`${'- '.repeat(3_000)}a`)).toMatchObject(tooDeep);
    expect(await check(`${'a: {'.repeat(600)}${'}'.repeat(600)}`)).toMatchObject(tooDeep);
    expect(await check(`${'['.repeat(500)}${']'.repeat(500)}`)).toEqual({ status: 'processed', passed: true });
  });
});

describe('valid_format, structured outputs in text formats', () => {
  it('checks their JSON text, as LangWatch coerces non-strings to JSON strings', async () => {
    // JSON is a flow mapping in YAML 1.2 and a dict display in Python.
    expect(await checker('yaml')({ a: [1, 2] })).toMatchObject({ passed: true });
    expect(await checker('python')({ a: 1 })).toMatchObject({ passed: true });
    expect(await checker('sql')({ a: 1 })).toMatchObject({ passed: false, details: 'Invalid SQL: detected JSON instead of an SQL string' });
  });

  it('skips a missing output and fails an empty one in every format', async () => {
    for (const format of ['markdown', 'python', 'sql', 'xml', 'html', 'yaml']) {
      expect(await checker(format)(null)).toMatchObject({ status: 'skipped' });
      expect(await checker(format)(' ')).toEqual({ status: 'processed', passed: false, details: 'empty output' });
    }
  });
});
