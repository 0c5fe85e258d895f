// The tokens of an `outputPath` script (the grammar is in jsonpath-filter-parse.ts): numbers,
// quoted strings, names, the roots `$` and `@…`, and the operators the grammar has. A character
// that starts nothing else is refused here, and the message says what it looks like (a comment,
// an assignment, a template string) so the person who wrote it knows what to change.

/** A script outside the grammar; the message names what was refused and what is allowed. */
export class FilterRefused extends Error {}

/** The values a script starts from: `@` is `value`, `$` is `root`. */
export type RootName = 'value' | 'property' | 'path' | 'parent' | 'parentProperty' | 'root';
const SPECIAL_ROOTS: Record<string, RootName> = {
  '@property': 'property',
  '@path': 'path',
  '@parent': 'parent',
  '@parentProperty': 'parentProperty',
  '@root': 'root',
};

/** One token of a script; `at` is where it starts (0-based), for messages. */
export type Token =
  | { kind: 'number'; value: number; at: number }
  | { kind: 'string'; value: string; at: number }
  | { kind: 'name'; value: string; at: number }
  | { kind: 'root'; value: RootName; at: number }
  | { kind: 'op'; value: string; at: number }
  | { kind: 'end'; at: number };

const OPERATORS = ['===', '!==', '==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '+', '-', '*', '/', '%', '.', '[', ']', '(', ')'];
const NAME = /[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*/uy;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Why a character cannot start a token (or the operator it would start is not allowed). */
function refusedAt(code: string, i: number): string {
  const rest = code.slice(i);
  if (rest.startsWith('//') || rest.startsWith('/*')) return 'a comment';
  if (rest.startsWith('=>')) return 'an arrow function';
  if (rest.startsWith('=')) return 'an assignment';
  if (rest.startsWith('`')) return 'a template string';
  if (rest.startsWith('?') || rest.startsWith(':')) return `"${rest[0]}" (conditionals and nested filters)`;
  return `"${[...rest][0]}"`;
}

/** The tokens of `code`, ending with an `end` token; a FilterRefused at the first character outside the grammar. */
export function tokenize(code: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (what: string, at: number): never => {
    throw new FilterRefused(`${what} at character ${at + 1}`);
  };
  while (i < code.length) {
    const c = code[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && (code[i + 1] === '/' || code[i + 1] === '*')) fail('a comment', i);
    if (c === '$') {
      NAME.lastIndex = i;
      const name = NAME.exec(code)![0];
      if (name !== '$') fail(`the name "${name}" (only @, $, @property, @path, @parent, @parentProperty and @root)`, i);
      tokens.push({ kind: 'root', value: 'root', at: i++ });
      continue;
    }
    if (c === '@') {
      NAME.lastIndex = i + 1;
      const word = NAME.exec(code)?.[0] ?? '';
      const name = word === '' ? 'value' : SPECIAL_ROOTS[`@${word}`];
      if (name === undefined) fail(`"@${word}" (only @, $, @property, @path, @parent, @parentProperty and @root)`, i);
      tokens.push({ kind: 'root', value: name!, at: i });
      i += 1 + word.length;
      continue;
    }
    NUMBER.lastIndex = i;
    const number = /[\d.]/.test(c) ? NUMBER.exec(code) : null;
    if (number) {
      i += number[0].length;
      if (/[\p{ID_Continue}$]/u.test(code[i] ?? '')) fail('a malformed number', number.index);
      tokens.push({ kind: 'number', value: Number(number[0]), at: number.index });
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(code);
    if (name) {
      tokens.push({ kind: 'name', value: name[0], at: i });
      i += name[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      const start = i;
      let value = '';
      for (i++; ; i++) {
        if (i >= code.length) fail('an unterminated string', start);
        const d = code[i]!;
        if (d === c) break;
        if (d !== '\\') {
          value += d;
          continue;
        }
        const e = code[++i] ?? '';
        if (e === 'u' && /^[\da-fA-F]{4}$/.test(code.slice(i + 1, i + 5))) {
          value += String.fromCharCode(parseInt(code.slice(i + 1, i + 5), 16));
          i += 4;
        } else if (e in ESCAPES) value += ESCAPES[e];
        else fail('an unsupported escape in a string', i - 1);
      }
      i++;
      tokens.push({ kind: 'string', value, at: start });
      continue;
    }
    // Longest first; `=`, `&`, `|`, `?` and the like are not operators here.
    const op = OPERATORS.find((o) => code.startsWith(o, i));
    if (!op) fail(refusedAt(code, i), i);
    tokens.push({ kind: 'op', value: op!, at: i });
    i += op!.length;
  }
  tokens.push({ kind: 'end', at: code.length });
  return tokens;
}

/** A token as a message names it. */
export function describeToken(t: Token): string {
  if (t.kind === 'end') return 'end of filter';
  if (t.kind === 'op' || t.kind === 'name') return `"${t.value}"`;
  return t.kind === 'root' ? 'a value' : `a ${t.kind}`;
}
