// Most templates are text with `{{ column }}` or `{{ a.b }}` outputs and nothing else (a
// prompt's `{{question}}`, a body's `"{{input}}"`). Those are rendered here without Liquid: the
// output is the same (a test renders many templates, scopes and escapes both ways), and Liquid's
// generators, context and emitter were most of a prompt cell's template work. Anything else —
// filters, tags, whitespace control, Liquid's literals and `size`/`first`/`last`, a name that
// Object.prototype has (Liquid finds those in an empty scope first), a path through an array or
// a string — goes to Liquid, as does a render whose path meets a value this path does not read.
import type { Redactor } from './redact.js';
import { emittedText, withinTurn } from './render-turn.js';
import { type OutputEscape, plainOutput, type Scope, TemplateCache, templateError } from './template-support.js';

/** A template of text and simple outputs: `texts[i]` precedes `paths[i]`; one text more than paths. */
interface SimpleTemplate {
  texts: string[];
  paths: string[][];
}

/** Names Liquid reads otherwise than as a property: literals, and the array/string properties. */
const LIQUID_NAMES = new Set(['true', 'false', 'nil', 'null', 'empty', 'blank', 'size', 'first', 'last']);
const SIMPLE_OUTPUT = /\{\{[ \t\r\n]*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)[ \t\r\n]*\}\}/g;
const SIMPLE_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** The path of an expression that is a plain variable (`a` or `a.b.c`), or null. */
function simplePath(expression: string): string[] | null {
  if (!SIMPLE_PATH.test(expression)) return null;
  const path = expression.split('.');
  return path.some((name) => LIQUID_NAMES.has(name) || name in Object.prototype) ? null : path;
}

/** The template as text and simple outputs, or null when Liquid must render it. */
function simpleTemplate(template: string): SimpleTemplate | null {
  const texts: string[] = [];
  const paths: string[][] = [];
  let at = 0;
  const plainText = (text: string) => !text.includes('{{') && !text.includes('{%');
  for (const m of template.matchAll(SIMPLE_OUTPUT)) {
    const text = template.slice(at, m.index);
    const path = simplePath(m[1]!);
    if (!plainText(text) || !path) return null;
    texts.push(text);
    paths.push(path);
    at = m.index + m[0].length;
  }
  const tail = template.slice(at);
  if (!plainText(tail)) return null;
  texts.push(tail);
  return { texts, paths };
}

/** Returned by `lookup` for a path this reader leaves to Liquid. */
export const NOT_SIMPLE: unique symbol = Symbol('not simple');

/**
 * Liquid's value of a variable path over plain JSON, with own properties only: a missing name
 * is undefined, and a null or undefined on the way is the value (Liquid stops there too).
 */
function lookup(scope: Scope, path: string[]): unknown {
  let value: unknown = Object.hasOwn(scope, path[0]!) ? scope[path[0]!] : undefined;
  for (let i = 1; i < path.length; i++) {
    if (value === null || value === undefined) return value;
    if (typeof value !== 'object' || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return NOT_SIMPLE;
    const name = path[i]!;
    value = Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
  }
  // A function or a class instance (a Liquid drop) is Liquid's to read; JSON has neither.
  if (typeof value === 'function') return NOT_SIMPLE;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) return NOT_SIMPLE;
  return value;
}

/** Renders a simple template as Liquid would, under the turn's output limit; undefined = ask Liquid. */
function renderSimple(simple: SimpleTemplate, scope: Scope, escape: OutputEscape | undefined, redactor: Redactor | undefined): string | undefined {
  const values: unknown[] = [];
  for (const path of simple.paths) {
    const value = lookup(scope, path);
    if (value === NOT_SIMPLE) return undefined;
    values.push(value);
  }
  try {
    return withinTurn((limits) => {
      let out = simple.texts[0]!;
      limits.write(out.length);
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        const written = emittedText(escape ? escape(value) : plainOutput(value));
        const text = simple.texts[i + 1]!;
        limits.write(written.length + text.length);
        out += written + text;
      }
      return out;
    });
  } catch (error) {
    throw templateError(error, redactor);
  }
}

const simpleTemplates = new TemplateCache<SimpleTemplate | null>(2000, 20_000_000);
const simplePaths = new TemplateCache<string[] | null>(2000, 1_000_000);

/** `template` rendered without Liquid, or undefined when Liquid must render it. */
export function renderSimpleTemplate(template: string, scope: Scope, escape: OutputEscape | undefined, redactor: Redactor | undefined): string | undefined {
  const simple = simpleTemplates.get(template, () => simpleTemplate(template));
  return simple ? renderSimple(simple, scope, escape, redactor) : undefined;
}

/**
 * The value of an expression that is a plain variable, counted as output of the running turn
 * (undefined becomes null); NOT_SIMPLE when Liquid must evaluate it.
 */
export function evaluateSimple(expression: string, scope: Scope): unknown {
  const path = simplePaths.get(expression, () => simplePath(expression.trim()));
  if (!path) return NOT_SIMPLE;
  const found = lookup(scope, path);
  if (found === NOT_SIMPLE) return NOT_SIMPLE;
  try {
    withinTurn((limits) => limits.writeValue(found));
  } catch (error) {
    throw templateError(error);
  }
  return found === undefined ? null : found;
}
