// outputPath scripts: the grammar that reads and compares values (filters from the jsonpath-plus
// README, LangWatch- and promptfoo-style selections), the refusal of calls, constructors,
// assignments and their spelled variants, and evaluation that never converts arrays to strings.
import { describe, expect, it } from 'vitest';
import { compileFilter, filterProblem } from './jsonpath-filter-parse.js';
import { type FilterScope, pathScripts, runFilter, STRING_CHARS_PER_UNIT } from './jsonpath-filters.js';

const ALLOWED = /outputPath filters may only read and compare values \(@\.price > 10 && @\.kind == 'x'\); calls like \.repeat\(\) are not allowed$/;

describe('filterProblem', () => {
  it('accepts filters that read and compare values', () => {
    const filters = [
      // jsonpath-plus README
      '@.isbn', '@.price<10', "@property === 'price' && @ !== 8.95", '@.price>19', '@path !== "$[\'store\'][\'book\'][0]"',
      '@parent.bicycle && @parent.bicycle.color === "red"', '@property !== "category"', '@property !== 0', '@parentProperty !== "book"',
      '@.price === @root.store.book[2].price', '(@.length-1)',
      // LangWatch / promptfoo style
      "@.role == 'assistant'", "@.type === 'text' && @.text", "@.message.role == 'assistant' && @.finish_reason != 'length'", '@.score >= 0.5',
      "@['content-type'] == 'application/json'", "@['a b'][0].c", '@.choices[0].message', '!@.error', '@.n.m % 2 == 0', '-1 < @.x',
      '@.a == null || @.a === undefined', '@.ok === true || @.ok == false', '$.limit < @.p', '1e3 > @.n', "'\\u0041' == @.letter",
      '((@.a > 1) && (@.b < 2))', '@.a\n  && @.b\t', '@.length > 1', '@.tags.length == 0',
    ];
    for (const f of filters) expect(filterProblem(f), f).toBeNull();
  });

  it('refuses calls, however they are spelled', () => {
    const calls = [
      "@.repeat(100000000).split('')", "@.length > 1 && @.repeat(100000000).split('').length > 0", "@['repeat'](9)", '@["repeat"] (9)',
      '@.a.toString()', '(@.a)(1)', '@.match(/TION$/i)', "@property.match(/bn$/i)", '@[0](1)', '@.x\n(1)', '1(2)', '@root.a.b()',
    ];
    for (const f of calls) expect(filterProblem(f), f).toMatch(/^a call at character \d+ in filter .*: outputPath filters/);
    expect(filterProblem("@.repeat(100000000).split('')")).toMatch(ALLOWED);
  });

  it('refuses everything else a script could do, naming it', () => {
    const refused: [string, RegExp][] = [
      ['@.constructor', /^reading "constructor" at character 3/],
      ["@['constructor']['constructor']", /^reading "constructor"/],
      ['@.__proto__.polluted', /^reading "__proto__"/],
      ["@['__proto__']", /^reading "__proto__"/],
      ['@.constructor.prototype', /^reading "constructor"/],
      ['@.a.prototype', /^reading "prototype"/],
      ['new Date()', /^the name "new"/],
      ['process.exit()', /^the name "process"/],
      ['this.process', /^the name "this"/],
      ['globalThis.pwned = 1', /^an assignment/],
      ['globalThis.pwned', /^the name "globalThis"/],
      ['@.a = 1', /^an assignment at character 5/],
      ['@.a == (x => 1)', /^an arrow function at character 11/],
      ['@.a => 1', /^an arrow function/],
      ['`a`', /^a template string/],
      ['@.a == `b`', /^a template string at character 8/],
      ['/a/.test(@)', /^a regular expression/],
      ['@.a // comment', /^a comment/],
      ['@.a /* c */ > 1', /^a comment/],
      ['@.a ? 1 : 2', /^"\?" \(conditionals and nested filters\)/],
      ['@.a, @.b', /^","/],
      ['@.a; @.b', /^";"/],
      ['@.a & 1', /^"&"/],
      ['@.a | 1', /^"\|"/],
      ['~@.a', /^"~"/],
      ['typeof @.a', /^the name "typeof"/],
      ['@foo', /^"@foo" \(only @, \$, @property/],
      ['$foo', /^the name "\$foo"/],
      ['@[@.key]', /^a value in brackets \(only a string or an integer\)/],
      ['@[1.5]', /^a number in brackets/],
      ['@[-1]', /^"-" in brackets/],
      ["@['a' + 'b']", /^"\+" in brackets/],
      ['@.a.', /^end of filter after "\."/],
      ['@.a @.b', /^unexpected a value/],
      ['', /^a missing value/],
      ["'unterminated", /^an unterminated string/],
      ["'\\x41'", /^an unsupported escape/],
      ['1.toFixed', /^a malformed number/],
      ['{}', /^"\{"/],
      ['[1]', /^unexpected "\["/],
      [`${'('.repeat(40)}@${')'.repeat(40)}`, /^nesting deeper than 32/],
      [`${'!'.repeat(40)}@`, /^nesting deeper than 32/],
      [`@.a == '${'x'.repeat(2000)}'`, /^a script longer than 2000 characters/],
    ];
    for (const [f, reason] of refused) {
      const problem = filterProblem(f);
      expect(problem, f).toMatch(reason);
      expect(problem, f).toMatch(ALLOWED);
    }
  });

  it('quotes a long or multi-line filter shortly, on one line', () => {
    const problem = filterProblem(`@.a\n\n  && @.b.repeat(${'9'.repeat(200)})`)!;
    expect(problem).toMatch(/^a call at character 21 in filter "@\.a && @\.b\.repeat\(9+…": /);
    expect(problem.length).toBeLessThan(250);
  });
});

describe('pathScripts', () => {
  it('finds the scripts jsonpath-plus would evaluate, as it reads them', () => {
    expect(pathScripts(['$', 'store', 'book', '?(@.price<10)', 'title'])).toEqual(['@.price<10']);
    expect(pathScripts(['$', 'book', '(@.length-1)'])).toEqual(['(@.length-1)']);
    // A nested filter: only the inner script is evaluated.
    expect(pathScripts(['$', 'a', '?(@.q[?(@.x.repeat(2))])'])).toEqual(['@.x.repeat(2)']);
    expect(pathScripts(['$', '*', '..', '~', '^', '@string()', '0:2'])).toEqual([]);
  });
});

const scope = (value: unknown, more: Partial<FilterScope> = {}): FilterScope => ({
  value, property: 0, parent: null, parentProperty: null, root: { limit: 5, big: [1, 2, 3] }, path: () => "$['x'][0]", ...more,
});
const run = (code: string, s: FilterScope, spend: (n: number) => void = () => {}) => runFilter(compileFilter(code), s, spend);

describe('runFilter', () => {
  it('reads and compares as JavaScript does on primitives', () => {
    expect(run("@.kind == 'x' && @.price > 10", scope({ kind: 'x', price: 11 }))).toBe(true);
    expect(run("@.kind == 'x' && @.price > 10", scope({ kind: 'x', price: 10 }))).toBe(false);
    expect(run('@.n == "10"', scope({ n: 10 }))).toBe(true);
    expect(run('@.n === "10"', scope({ n: 10 }))).toBe(false);
    expect(run('@.price > $.limit && @.price > @root.limit', scope({ price: 6 }))).toBe(true);
    expect(run('@.missing == null && @.missing === undefined', scope({}))).toBe(true);
    expect(run("@['a b'][1]", scope({ 'a b': ['x', 'y'] }))).toBe('y');
    expect(run('@.s.length + 1', scope({ s: 'abc' }))).toBe(4);
    expect(run('@.items.length-1', scope({ items: [1, 2, 3] }))).toBe(2);
    expect(run('@path', scope(1))).toBe("$['x'][0]");
    expect(run('@property === 0 && @parentProperty === null', scope(1))).toBe(true);
  });

  it('reads own properties only, and nothing from null, numbers or missing values', () => {
    expect(run('@.toString', scope({}))).toBeUndefined();
    expect(run('@.hasOwnProperty', scope({ a: 1 }))).toBeUndefined();
    expect(run('@.a.b.c', scope({}))).toBeUndefined();
    expect(run('@.a.b', scope({ a: null }))).toBeUndefined();
    expect(run('@.a.b', scope({ a: 5 }))).toBeUndefined();
    expect(run('@.length', scope({ length: 'own' }))).toBe('own');
  });

  it('never converts an array or object: equality is identity, ordering is false, arithmetic is NaN', () => {
    const array = ['x'];
    expect(run("@ == 'x'", scope(array))).toBe(false); // JavaScript: ['x'] == 'x' is true, after a join
    expect(run("@ != 'x'", scope(array))).toBe(true);
    expect(run('@ == @', scope(array))).toBe(true);
    expect(run('@.a < 1 || @.a >= 1', scope({ a: [0] }))).toBe(false);
    expect(run("@.a + 'b'", scope({ a: 'a' }))).toBeNaN();
    expect(run('@.a * 2', scope({ a: [2] }))).toBeNaN();
    expect(run('-@.a', scope({ a: '1' }))).toBeNaN();
  });

  it('charges strings by length, and gives an array or object result as true', () => {
    let spent = 0;
    const spend = (n: number) => (spent += n);
    const long = 'x'.repeat(STRING_CHARS_PER_UNIT * 100);
    run('@.a == @.b', scope({ a: long, b: long }), spend);
    expect(spent).toBeGreaterThanOrEqual(200);
    spent = 0;
    expect(run('@.a', scope({ a: long }), spend)).toBe(long);
    expect(spent).toBeGreaterThanOrEqual(100);
    expect(run('@root.big', scope(1))).toBe(true);
  });
});
