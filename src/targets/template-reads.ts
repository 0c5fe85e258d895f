// The names a target's templates read from the row's scope, known before any row is rendered: a
// run start checks them against the rows' columns, so `{{ contry }}` is refused with the column
// it meant instead of rendering empty on every row (docs/decisions.md, "Template names are
// checked at the start"). A read is `guarded` when the template itself allows the value to be
// missing: a condition (`{% if hint %}`, `unless`, `elsif`, `case`, `when`) or a `default`
// filter on it. Kept apart from the target adapters so the start path does not load them.
import type { Target } from '../core/model/experiment.js';
import { readNames } from './templates.js';

export interface TemplateRead {
  /** Where the template is in the target (`['messages', 1, 'content']`, `['headers', 'X-Id']`). */
  path: (string | number)[];
  /** The top-level name read (`contry` in `{{ contry | upcase }}`). */
  name: string;
  /** The key read under it, when a plain one (`question` in `{{ row.question }}`). */
  key: string | undefined;
  /** Whether the template allows it to be missing (a condition or a `default` filter). */
  guarded: boolean;
}

const GUARD_TAGS = new Set(['if', 'unless', 'elsif', 'case', 'when']);
const DEFAULT_FILTER = /\|\s*default\b/;

/** Every template of a target, with its path: prompt messages; HTTP url, headers, auth and body. */
function templatesOf(target: Target): { path: (string | number)[]; text: string }[] {
  const out: { path: (string | number)[]; text: string }[] = [];
  if (target.type === 'prompt') {
    target.messages.forEach((m, i) => out.push({ path: ['messages', i, 'content'], text: m.content }));
  } else if (target.type === 'http') {
    out.push({ path: ['url'], text: target.url });
    for (const [name, value] of Object.entries(target.headers ?? {})) out.push({ path: ['headers', name], text: value });
    const auth = target.auth;
    if (auth?.type === 'bearer') out.push({ path: ['auth', 'token'], text: auth.token });
    if (auth?.type === 'basic') out.push({ path: ['auth', 'username'], text: auth.username }, { path: ['auth', 'password'], text: auth.password });
    if (auth?.type === 'api_key') out.push({ path: ['auth', 'value'], text: auth.value });
    collectBody(target.body, ['body'], out);
  }
  return out;
}

/** A body's templates: the string itself, or every string value of a JSON body. */
function collectBody(value: unknown, path: (string | number)[], out: { path: (string | number)[]; text: string }[]): void {
  if (typeof value === 'string') out.push({ path, text: value });
  else if (Array.isArray(value)) value.forEach((item, i) => collectBody(item, [...path, i], out));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) collectBody(item, [...path, key], out);
}

/** Offset in `text` of a 1-based line and column. */
function offsetOf(text: string, line: number, col: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) break;
    offset = next + 1;
  }
  return offset + col - 1;
}

/** Whether the read at `offset` sits in a condition tag or is followed by a `default` filter in its markup. */
function isGuarded(text: string, offset: number): boolean {
  const open = Math.max(text.lastIndexOf('{{', offset), text.lastIndexOf('{%', offset));
  if (open < 0) return false;
  const isTag = text[open + 1] === '%';
  const closeAt = text.indexOf(isTag ? '%}' : '}}', offset);
  const close = closeAt < 0 ? text.length : closeAt;
  if (DEFAULT_FILTER.test(text.slice(offset, close))) return true;
  if (!isTag) return false;
  const tag = /^-?\s*(\w+)/.exec(text.slice(open + 2, close))?.[1] ?? '';
  if (GUARD_TAGS.has(tag)) return true;
  // `{% liquid %}` holds one tag a line: the line of the read says which.
  if (tag !== 'liquid') return false;
  const lineStart = text.lastIndexOf('\n', offset) + 1;
  return GUARD_TAGS.has(/^\s*(\w+)/.exec(text.slice(lineStart, offset))?.[1] ?? '');
}

/** The names every template of `target` reads; a template that does not parse reads nothing here (it is refused at save). */
export function targetTemplateReads(target: Target): TemplateRead[] {
  const reads: TemplateRead[] = [];
  for (const { path, text } of templatesOf(target)) {
    if (!text.includes('{')) continue;
    let names: ReturnType<typeof readNames>;
    try {
      names = readNames(text);
    } catch {
      continue;
    }
    for (const { name, key, line, col } of names) reads.push({ path, name, key, guarded: isGuarded(text, offsetOf(text, line, col)) });
  }
  return reads;
}
