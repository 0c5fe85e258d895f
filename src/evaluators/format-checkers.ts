// One checker per format valid_format knows. Each `prepare` runs once per create() and returns
// the per-output check, so schemas are compiled once per run. The parsers are imported on the
// first check of their format, not at start-up (see ./lazy.ts), and kept for the process. What
// "valid" means per format, and where it departs from LangWatch or promptfoo, is written at
// each checker.
import type { Token } from 'marked';
import type { DefaultTreeAdapterMap, ParserError } from 'parse5';
import { thrownMessage } from './inputs.js';
import { prepareJsonSchema } from './json-schema.js';
import { lazy } from './lazy.js';

/** node-sql-parser's dialects (one build each); ids as its `database` option spells them. */
export const SQL_DIALECTS = [
  'postgresql', 'mysql', 'mariadb', 'sqlite', 'bigquery', 'snowflake', 'redshift', 'transactsql',
  'db2', 'hive', 'athena', 'trino', 'flinksql', 'noql',
] as const;
export type SqlDialect = (typeof SQL_DIALECTS)[number];

/** The settings a format may read; kept apart from the zod schema so FORMATS can build it. */
export interface FormatOptions {
  json_schema?: string | Record<string, unknown> | undefined;
  sql_dialect?: SqlDialect | undefined;
}

export type Verdict = { passed: boolean; details?: string };

/**
 * A format: `label` names it in messages; `prepare` returns the check of one output, which
 * settles once the format's parser is loaded (on its first use in the process).
 */
export interface FormatSpec {
  label: string;
  /**
   * Characters of output checked on the calling thread; longer outputs are checked in the
   * evaluator pool (docs/decisions.md, "Evaluators off the main thread"). Each is set so the
   * format's costliest known output of that length takes a few ms (bench/evaluator-caps.ts).
   */
  inlineChars: number;
  prepare(options: FormatOptions): (output: unknown) => Verdict | Promise<Verdict>;
}

const PASS: Verdict = { passed: true };
const fail = (details: string): Verdict => ({ passed: false, details });

/** "line 2, column 5" of a 0-based offset, as editors count (1-based). */
function position(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/** Structured outputs are checked as their JSON text, as LangWatch coerces them to strings. */
const asText = (output: unknown): string => (typeof output === 'string' ? output : JSON.stringify(output));

/** JSON; a structured output already is JSON. With json_schema, the value must satisfy it. */
export const jsonFormat: FormatSpec = {
  label: 'JSON',
  // JSON.parse is linear: 10 MB of small objects took 330 ms. With a schema, see
  // SCHEMA_INLINE_CHARS. At the cap: 1.6 ms (median, bench/evaluator-caps.ts).
  inlineChars: 200_000,
  prepare(options) {
    const prepared = prepareJsonSchema(options.json_schema);
    // Settings validation refused bad schemas; this guards create() called without parsing.
    if (!prepared.ok) throw new Error(`json_schema ${prepared.reason}`);
    const check = prepared.check;
    return (output) => {
      let value = output;
      if (typeof output === 'string') {
        try {
          value = JSON.parse(output);
        } catch (error) {
          return fail(`Invalid JSON: ${(error as Error).message}`);
        }
      }
      const errors = check ? check(value) : [];
      return errors.length === 0 ? PASS : fail(`JSON Schema validation failed: ${errors.join('; ')}`);
    };
  },
};

const PREDEFINED_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);
const ENTITY = /&([A-Za-z_:][\w.:-]*);/g;

/** Comments and CDATA sections, as [start, end) ranges in order: entities are not read there. */
function opaqueRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  let comment = text.indexOf('<!--');
  let cdata = text.indexOf('<![CDATA[');
  while (comment !== -1 || cdata !== -1) {
    const isComment = cdata === -1 || (comment !== -1 && comment < cdata);
    const start = isComment ? comment : cdata;
    const close = text.indexOf(isComment ? '-->' : ']]>', start + 4);
    const end = close === -1 ? text.length : close + 3;
    ranges.push([start, end]);
    // Each search resumes after the last range, so the scan stays linear.
    if (comment !== -1 && comment < end) comment = text.indexOf('<!--', end);
    if (cdata !== -1 && cdata < end) cdata = text.indexOf('<![CDATA[', end);
  }
  return ranges;
}

/** The first reference to an entity XML does not predefine (WFC: Entity Declared, no DTD). */
function undeclaredEntity(text: string): string | undefined {
  if (!text.includes('&')) return undefined;
  const ranges = opaqueRanges(text);
  let r = 0;
  for (const match of text.matchAll(ENTITY)) {
    while (r < ranges.length && ranges[r]![1] <= match.index) r++;
    const range = ranges[r];
    if (range && range[0] <= match.index) continue;
    if (!PREDEFINED_ENTITIES.has(match[1]!)) return `undeclared entity &${match[1]}; at ${position(text, match.index)}`;
  }
  return undefined;
}

/** Skips whitespace, comments and processing instructions from `i`; returns where it stopped. */
function skipMisc(text: string, i: number): number {
  for (;;) {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
    const close = text.startsWith('<!--', i) ? '-->' : text.startsWith('<?', i) ? '?>' : undefined;
    if (!close) return i;
    const end = text.indexOf(close, i + 2);
    if (end === -1) return i;
    i = end + close.length;
  }
}

/** Index of the `>` ending the markup at `i`, skipping quoted values and `[…]` (a DTD subset). */
function markupEnd(text: string, i: number): number {
  let quote = '';
  let depth = 0;
  for (i++; i < text.length; i++) {
    const c = text[i]!;
    if (quote) quote = c === quote ? '' : quote;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === '>' && depth <= 0) return i;
  }
  return text.length;
}

/**
 * What XMLValidator lets through but XML 1.0 forbids: anything but comments and processing
 * instructions after a self-closing root (§2.1: `<a/><b/>`, `<a/>text`), and, without a
 * DOCTYPE, entity references other than the five predefined ones (§4.1, WFC: Entity Declared).
 * A paired root is already tracked by the validator. Runs only on validated text.
 */
function xmlStructureError(text: string): string | undefined {
  const hasDoctype = /<!DOCTYPE/i.test(text);
  const entity = hasDoctype ? undefined : undeclaredEntity(text);
  if (entity) return entity;
  let start = skipMisc(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (text.startsWith('<!', start)) start = skipMisc(text, markupEnd(text, start) + 1);
  const end = markupEnd(text, start);
  if (text[end - 1] !== '/') return undefined;
  const after = skipMisc(text, end + 1);
  return after < text.length ? `content after the root element at ${position(text, after)} (a document has exactly one root element)` : undefined;
}

const xmlValidator = lazy(async () => (await import('fast-xml-parser')).XMLValidator);

/** Well-formed XML (XML 1.0 §2.1): fast-xml-parser's XMLValidator plus xmlStructureError. */
export const xmlFormat: FormatSpec = {
  label: 'XML',
  // Linear: 10 MB of attributes took 3 s. At the cap: 1.0 ms (median, bench/evaluator-caps.ts).
  inlineChars: 20_000,
  prepare() {
    return async (output) => {
      const XMLValidator = await xmlValidator();
      const text = asText(output);
      const result = XMLValidator.validate(text, { allowBooleanAttributes: false });
      if (result !== true) return fail(`Invalid XML: ${result.err.msg} (line ${result.err.line}, column ${result.err.col})`);
      const structure = xmlStructureError(text);
      return structure ? fail(`Invalid XML: ${structure}`) : PASS;
    };
  },
};

const parse5 = lazy(() => import('parse5'));

type HtmlNode = DefaultTreeAdapterMap['node'];
type HtmlElement = DefaultTreeAdapterMap['element'];

const HTML_NS = 'http://www.w3.org/1999/xhtml';
/** Elements without an end tag (HTML §13.1.2), legacy ones included. */
const VOID = new Set('area base br col embed hr img input link meta source track wbr param keygen basefont bgsound frame'.split(' '));
/** Elements whose end tag may be omitted (HTML §13.1.2.4 "Optional tags"). */
const OPTIONAL_END = new Set('html head body li dt dd p rt rp optgroup option colgroup caption thead tbody tfoot tr td th'.split(' '));
/** The elements of the HTML Living Standard (§4), so `<example>` in prose is not taken for HTML. */
const HTML_ELEMENTS = new Set(
  ('a abbr address area article aside audio b base bdi bdo blockquote body br button canvas caption cite code col colgroup ' +
    'data datalist dd del details dfn dialog div dl dt em embed fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 ' +
    'head header hgroup hr html i iframe img input ins kbd label legend li link main map mark math menu meta meter nav ' +
    'noscript object ol optgroup option output p picture pre progress q rp rt ruby s samp script search section select ' +
    'slot small source span strong style sub summary sup svg table tbody td template textarea tfoot th thead time title ' +
    'tr track u ul var video wbr').split(' '),
);
/** Parse errors that do not make HTML invalid here: a fragment or casual page has no doctype. */
const TOLERATED_HTML_ERRORS = new Set(['missing-doctype']);
/** Output that starts a whole page is parsed as a document, anything else as a fragment. */
const HTML_DOCUMENT = /^\s*(?:<!--[^]*?-->\s*)?<(?:!doctype|html|head|body)[\s>/]/i;

/** Walks elements written in the source; returns the first never closed, and whether any is HTML. */
function inspectHtml(root: HtmlNode, text: string): { unclosed?: HtmlElement; known: boolean } {
  let known = false;
  const stack: HtmlNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const children = 'content' in node ? node.content.childNodes : 'childNodes' in node ? node.childNodes : [];
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    if (!('tagName' in node) || !node.sourceCodeLocation?.startTag) continue; // text, or implied by the parser
    const name = node.tagName;
    if (HTML_ELEMENTS.has(name) || name.includes('-')) known = true;
    if (node.sourceCodeLocation.endTag) continue;
    const start = node.sourceCodeLocation.startTag;
    const selfClosed = text[start.endOffset - 2] === '/';
    const open = node.namespaceURI === HTML_NS ? !VOID.has(name) && !OPTIONAL_END.has(name) : !selfClosed;
    if (open) return { unclosed: node, known };
  }
  return { known };
}

/**
 * HTML. parse5 follows the WHATWG parser, which never rejects input; it reports parse errors
 * (HTML §13.2.2) for tokenizer-level faults only, so two checks are added: every element whose
 * end tag is required (not void, not §13.1.2.4-optional) is closed, and at least one standard
 * or custom element is present (plain prose is not HTML). Stray end tags that close nothing are
 * dropped by parse5 silently and not reported. A fragment passes without a doctype.
 */
export const htmlFormat: FormatSpec = {
  label: 'HTML',
  // parse5 with source locations is ≈ 2 µs a character, more with reopened formatting
  // elements: 1 MB of `<b><p>` grew the heap past 2.5 GB. At the cap: 1.4 ms (median, bench/evaluator-caps.ts).
  inlineChars: 2_000,
  prepare() {
    return async (output) => {
      const { parse: parseHtmlDocument, parseFragment: parseHtmlFragment } = await parse5();
      const text = asText(output);
      const errors: ParserError[] = [];
      const onParseError = (e: ParserError) => {
        if (!TOLERATED_HTML_ERRORS.has(e.code)) errors.push(e);
      };
      const options = { sourceCodeLocationInfo: true, onParseError };
      const root = HTML_DOCUMENT.test(text) ? parseHtmlDocument(text, options) : parseHtmlFragment(text, options);
      if (errors.length > 0) {
        const shown = errors.slice(0, 3).map((e) => `${e.code} at line ${e.startLine}, column ${e.startCol}`);
        if (errors.length > 3) shown.push(`…and ${errors.length - 3} more`);
        return fail(`Invalid HTML: ${shown.join('; ')}`);
      }
      const { unclosed, known } = inspectHtml(root, text);
      if (unclosed) {
        const at = unclosed.sourceCodeLocation!;
        return fail(`Invalid HTML: <${unclosed.tagName}> at line ${at.startLine}, column ${at.startCol} is never closed`);
      }
      return known ? PASS : fail('Invalid HTML: no HTML elements found (only text or unknown tags)');
    };
  },
};

/** Text that JSON.parse accepts; LangWatch fails such "SQL" before parsing it as SQL. */
function isJsonText(text: string): boolean {
  if (!/^\s*[[{"\d-]|^\s*(?:true|false|null)\s*$/.test(text)) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

interface SqlParser {
  astify(sql: string, options: { database: string }): unknown;
}
type SqlSyntaxError = { found?: string | null; location?: { start: { offset: number } } };

type SqlParserClass = new () => SqlParser;
const sqlBuilds = new Map<SqlDialect, () => Promise<SqlParserClass>>();

/** The Parser of one dialect; each dialect's build (~40 ms, 4–9 MB of RSS) is imported on first use. */
function sqlParserClass(dialect: SqlDialect): Promise<SqlParserClass> {
  let load = sqlBuilds.get(dialect);
  if (!load) {
    load = lazy(async () => ((await import(`node-sql-parser/build/${dialect}.js`)) as { default: { Parser: SqlParserClass } }).default.Parser);
    sqlBuilds.set(dialect, load);
  }
  return load();
}

/**
 * SQL in one dialect (default postgresql), parsed by node-sql-parser as promptfoo's is-sql does.
 * Only the chosen dialect's build is loaded: the all-dialects entry costs ~70 ms.
 * LangWatch parses with sqlglot, which reads no dialect and accepts more; like LangWatch, JSON
 * text is refused up front.
 */
export const sqlFormat: FormatSpec = {
  label: 'SQL',
  // node-sql-parser's PEG parse backtracks on chained operators: `SELECT a + a + …` costs
  // ≈ 30 µs a character (100 characters: 3.5 ms), so nearly every query runs in the pool. At the cap: 0.7 ms (median, bench/evaluator-caps.ts).
  inlineChars: 100,
  prepare(options) {
    const dialect = options.sql_dialect ?? 'postgresql';
    if (!(SQL_DIALECTS as readonly string[]).includes(dialect)) throw new Error(`unknown sql_dialect ${dialect}`);
    let sql: SqlParser | undefined;
    return async (output) => {
      sql ??= new (await sqlParserClass(dialect))();
      const text = asText(output);
      if (isJsonText(text)) return fail('Invalid SQL: detected JSON instead of an SQL string');
      let ast: unknown;
      try {
        ast = sql.astify(text, { database: dialect });
      } catch (error) {
        const e = error as SqlSyntaxError;
        if (!e.location) return fail(`Invalid SQL (${dialect}): ${thrownMessage(error)}`);
        const found = e.found == null ? 'end of input' : JSON.stringify(e.found);
        return fail(`Invalid SQL (${dialect}): unexpected ${found} at ${position(text, e.location.start.offset)}`);
      }
      return Array.isArray(ast) && ast.length === 0 ? fail(`Invalid SQL (${dialect}): no statement found`) : PASS;
    };
  },
};

/** marked's lexer, with marked's own defaults and GFM on, fixed so a global marked.setOptions cannot change them. */
const markdownLexer = lazy(async () => {
  const { Lexer, getDefaults } = await import('marked');
  const options = { ...getDefaults(), gfm: true, pedantic: false };
  return (text: string): Token[] => Lexer.lex(text, options);
});

/** Token types that plain prose produces too. Raw HTML is not Markdown formatting either. */
const PLAIN_TOKENS = new Set(['paragraph', 'text', 'space', 'html']);

/** The first Markdown construct in the tokens (depth first), or undefined for plain text. */
function markdownConstruct(tokens: Token[]): string | undefined {
  for (const token of tokens) {
    // A bare URL that GFM autolinks is prose; `[text](url)` and `<url>` are Markdown.
    const bareUrl = token.type === 'link' && !/^[[<]/.test(token.raw);
    if (!PLAIN_TOKENS.has(token.type) && !bareUrl) return token.type;
    const nested = 'tokens' in token && Array.isArray(token.tokens) ? markdownConstruct(token.tokens) : undefined;
    if (nested) return nested;
  }
  return undefined;
}

/**
 * Markdown. Any text parses, so, as LangWatch does, the output must use Markdown: LangWatch
 * renders it with Python-Markdown and fails when the HTML equals the text without <p> tags.
 * Here marked's GFM lexer must find a token beyond paragraphs of text (headings, emphasis,
 * lists, code, links, quotes, rules, line breaks, escapes, tables…). Unlike LangWatch, GFM
 * tables and strikethrough count, and characters Python-Markdown escapes (`&`, `<`) do not.
 */
export const markdownFormat: FormatSpec = {
  label: 'Markdown',
  // marked is quadratic on unclosed emphasis: `*a` repeated took 1.7 s at 98 KB and 29.5 s
  // at 391 KB. At the cap: 1.5 ms (median, bench/evaluator-caps.ts).
  inlineChars: 1_500,
  prepare() {
    return async (output) => {
      const lex = await markdownLexer();
      const tokens = lex(asText(output));
      return markdownConstruct(tokens)
        ? PASS
        : fail('No Markdown elements found: the text should use Markdown formatting such as headings (#), bold (**), lists or code');
    };
  },
};

const pythonParser = lazy(async () => (await import('@lezer/python')).parser);

/**
 * Python 3 syntax. LangWatch runs `ast.parse`; @lezer/python is an error-recovering grammar,
 * so the output is invalid when its tree has an error node. The grammar is more lenient than
 * CPython: it does not check assignment targets (`1 = x`) or dedent consistency.
 */
export const pythonFormat: FormatSpec = {
  label: 'Python',
  // @lezer/python is linear but ≈ 0.7 µs a character: 10 MB took 7.7 s. At the cap: 1.5 ms (median, bench/evaluator-caps.ts).
  inlineChars: 3_000,
  prepare() {
    return async (output) => {
      const parser = await pythonParser();
      const text = asText(output);
      const cursor = parser.parse(text).cursor();
      do {
        if (cursor.type.isError) {
          const at = cursor.from >= text.length ? 'at the end of the input' : `at ${position(text, cursor.from)}`;
          return fail(`Invalid Python: syntax error ${at}`);
        }
      } while (cursor.next());
      return PASS;
    };
  },
};

// yaml's CommonJS build is what Node resolves; bundled, its namespace has only a default export
// (the named ones were undefined: "Parser is not a constructor" on every YAML check), as
// src/cli/push.ts reads it too.
const yaml = lazy(async () => {
  const loaded = await import('yaml');
  return loaded.default ?? loaded;
});

/**
 * Deepest nesting of collections a YAML output may have (as the engine's MAX_OUTPUT_DEPTH). The
 * yaml package composes nested collections recursively, and a stack overflow there is not
 * always a catchable error: `[` nested 3,000 deep, checked twice, aborted the whole process
 * ("FATAL ERROR: RegExpCompiler Allocation failed", V8 compiling a RegExp near the stack
 * limit), in a worker thread too. yaml's CST parser is iterative, so depth is measured on it first.
 */
const MAX_YAML_DEPTH = 500;

/** True when the CST nests collections (flow or block) deeper than `limit`. Iterative on purpose. */
function nestedDeeper(tokens: Iterable<unknown>, limit: number): boolean {
  const COLLECTIONS = new Set(['flow-collection', 'block-map', 'block-seq']);
  const stack: [unknown, number][] = [];
  for (const token of tokens) {
    stack.push([token, 0]);
    while (stack.length > 0) {
      const [node, depth] = stack.pop()!;
      if (node === null || typeof node !== 'object') continue;
      const type = (node as { type?: unknown }).type;
      const d = typeof type === 'string' && COLLECTIONS.has(type) ? depth + 1 : depth;
      if (d > limit) return true;
      for (const child of Object.values(node)) if (child !== null && typeof child === 'object') stack.push([child, d]);
    }
  }
  return false;
}

/**
 * YAML 1.2 with the `yaml` package in strict mode, duplicate keys refused (YAML 1.2 §3.2.1.1:
 * mapping keys are unique). Every document must be a mapping or a sequence: a lone scalar is
 * valid YAML, but then every line of prose would be.
 */
export const yamlFormat: FormatSpec = {
  label: 'YAML',
  // `uniqueKeys` compares each key with the keys before it: 113 KB of keys took 0.7 s; the
  // depth check below adds a parse. At the cap: 1.3 ms (median, bench/evaluator-caps.ts).
  inlineChars: 1_000,
  prepare() {
    return async (output) => {
      const { Parser, parseAllDocuments, isCollection } = await yaml();
      const text = asText(output);
      if (nestedDeeper(new Parser().parse(text), MAX_YAML_DEPTH)) return fail(`Invalid YAML: collections nested more than ${MAX_YAML_DEPTH} levels deep`);
      const docs = parseAllDocuments(text, { strict: true, uniqueKeys: true, prettyErrors: true });
      const list = Array.isArray(docs) ? docs : [docs];
      for (const [i, doc] of list.entries()) {
        const error = doc.errors[0];
        if (error) return fail(`Invalid YAML: ${error.message.split('\n')[0]!.replace(/:$/, '')}`);
        if (!isCollection(doc.contents)) {
          const which = list.length > 1 ? `document ${i + 1} is` : 'the output is';
          return fail(`Invalid YAML: ${which} ${doc.contents === null ? 'empty' : 'a plain scalar'}, not a mapping or sequence`);
        }
      }
      return list.length > 0 ? PASS : fail('Invalid YAML: no document found');
    };
  },
};
