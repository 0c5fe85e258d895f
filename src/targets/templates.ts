// Liquid templates shared by the targets (SPEC §4: `{{column}}` reads the row). One Liquid
// instance, locked down: no file system (include/render/layout find nothing), unknown filters
// are errors, only own properties are readable (no `constructor`, no prototype), and parsing
// and rendering are bounded in size, time, memory and output. Rendering is synchronous and
// holds up the whole server while it runs, so a target call renders all its templates in one
// `renderTurn`: they share one set of limits, and the process yields to the event loop between
// turns once it has rendered for a while. Outputs can be escaped per render (JSON string
// bodies, URLs); see docs/decisions.md ("Templates").
import { Context, type FilterImplOptions, Liquid, type Template, Value, toValue, toValueSync } from 'liquidjs';
import type { Redactor } from './redact.js';
import { BoundedEmitter, currentLimits, RENDER_LIMITS, type TurnLimits, withinTurn } from './render-turn.js';
import { evaluateSimple, NOT_SIMPLE, renderSimpleTemplate } from './simple-templates.js';
import { type OutputEscape, plainOutput, type Scope, shortMessage, TemplateCache, templateError } from './template-support.js';

export { RENDER_LIMITS, renderTurn } from './render-turn.js';
export type { OutputEscape, Scope } from './template-support.js';

/** Escape in force for the render running now. Rendering is synchronous, so one slot is enough. */
let currentEscape: OutputEscape | undefined;

/** A filter's function, and what Liquid binds `this` to when calling it. */
type FilterHandler = Exclude<FilterImplOptions, { handler: unknown }>;
type FilterThis = ThisParameterType<FilterHandler>;

/** Throws when the running turn is past its render time limit. */
function checkDeadline(): void {
  currentLimits().time.check(performance.now());
}

/** Liquid's test for a value to drive (a generator from a filter or an expression). */
function isIterator(value: unknown): value is Generator<unknown, unknown, unknown> {
  const v = value as Partial<Generator> | null | undefined;
  return typeof v?.next === 'function' && typeof v.throw === 'function' && typeof v.return === 'function';
}

/** Drives `steps` for Liquid as it is, checking the turn's deadline before each step. */
function* deadlineChecked(steps: Generator<unknown, unknown, unknown>): Generator<unknown, unknown, unknown> {
  let step = steps.next();
  while (!step.done) {
    checkDeadline();
    let sent: unknown;
    try {
      sent = yield step.value;
    } catch (error) {
      step = steps.throw(error);
      continue;
    }
    step = steps.next(sent);
  }
  return step.value;
}

const liquid = new Liquid({
  // In-memory, empty template map: `{% include %}`, `{% render %}` and `{% layout %}` resolve
  // against it instead of the file system, so they can never read a file.
  templates: {},
  relativeReference: false,
  dynamicPartials: false,
  strictFilters: true,
  ownPropertyOnly: true,
  // Bounds: template text length per parse; wall time and characters allocated by filters and
  // loops (a `{% for i in (1..1000000000) %}` is refused, not run) per turn, see render-turn.ts.
  parseLimit: 2_000_000,
  renderLimit: RENDER_LIMITS.timeMs,
  memoryLimit: RENDER_LIMITS.memory,
  // Applied to every `{{ }}` (unless its last filter is `raw`); the render picks the escape.
  // Drops (Liquid's `nil`, `empty`, …) are unwrapped to their plain values first.
  outputEscape: ((raw: unknown) => {
    const value = toValue(raw) as unknown;
    return currentEscape ? currentEscape(value) : plainOutput(value);
  }) as OutputEscape,
});

// Liquid checks the render time limit between template nodes only, and one `{{ … }}` with its
// whole filter chain is one node: `{{ arr | find_exp: "x", "arr | find: 'length', 99" }}` is
// quadratic in `arr` and ran for 12.9 s on a 3,000-character column before the next check. So
// every filter call, and every step of the filters that iterate (the array filters are
// generators that yield once per item, the `_exp` ones through the inner expression's own
// filters), checks the turn's deadline: a chain then stops within one item of the limit.
// Sorting is one native call that no check can interrupt (a 1 MB column split into characters
// sorted in 270 ms, shuffled by `sample` in 430 ms), so the sorting filters refuse more than
// MAX_SORTED items (≈ 30 ms).
const SORTING = new Set(['sort', 'sort_natural', 'sample']);
const MAX_SORTED = 100_000;

/** Items a sorting filter would sort: an array's, or a string's characters for `sample`. */
function sortedItems(name: string, input: unknown): number {
  const value = toValue(input) as unknown;
  if (Array.isArray(value)) return value.length;
  return name === 'sample' && typeof value === 'string' ? value.length : 0;
}
for (const [name, filter] of Object.entries(liquid.filters)) {
  const handler = typeof filter === 'function' ? filter : filter.handler;
  const sorts = SORTING.has(name);
  const checked: FilterHandler = function (this: FilterThis, ...args: [unknown, ...unknown[]]) {
    checkDeadline();
    if (sorts && sortedItems(name, args[0]) > MAX_SORTED) throw new Error(`${name} of more than ${MAX_SORTED} items refused (template render limit)`);
    const result: unknown = handler.apply(this, args);
    return isIterator(result) ? deadlineChecked(result) : result;
  };
  liquid.registerFilter(name, typeof filter === 'function' ? checked : { ...filter, handler: checked });
}

// Every buffer Liquid renders into (the top level, `capture`, …) counts against the turn's
// output limit, not only the top-level one.
const renderTemplates = liquid.renderer.renderTemplates.bind(liquid.renderer);
liquid.renderer.renderTemplates = (templates, ctx, emitter) => renderTemplates(templates, ctx, emitter ?? new BoundedEmitter(currentLimits()));

/** A Liquid context over `scope` bound by the running turn's limits. */
function contextFor(scope: Scope, limits: TurnLimits): Context {
  // Liquid's Limiter has private fields; ours has the same two methods.
  type Limits = NonNullable<ConstructorParameters<typeof Context>[3]>;
  const bound = { memoryLimit: limits.memory, renderLimit: limits.time } as unknown as Pick<Limits, 'memoryLimit' | 'renderLimit'>;
  return new Context(scope, liquid.options, { sync: true }, { ...bound, liquid });
}

/**
 * Parsed templates, weighed in estimated bytes (PARSED_TAG_BYTES a tag plus the text): at most
 * ≈ 64 MB of them are kept, whatever a project's templates hold.
 */
const parsed = new TemplateCache<Template[]>(2000, 64_000_000);
/** What one parsed tag holds on the heap (Liquid's tokens, expressions, values): 700–900 bytes measured. */
const PARSED_TAG_BYTES = 1000;
const expressions = new TemplateCache<Value>(2000, 1_000_000);

/**
 * Tags (`{{ … }}` and `{% … %}`) one template may have. Liquid parses a template in one call
 * that nothing can interrupt, ≈ 0.8 µs a tag on a 2-core machine: nine 1 MB templates of 540,000
 * tags each held the main thread 4 s at save (review of 2026-12-05). 10,000 tags parse in ≈ 8
 * ms; a prompt or request body with more is not a template anyone writes.
 */
export const MAX_TEMPLATE_TAGS = 10_000;

/**
 * Tags all the templates of one experiment may have together: 150 messages of 10,000 tags each
 * were 1.5 million tags to parse at every save and run start (seconds of CPU, and ≈ 1 GB of
 * parsed trees). 100,000 is ten templates at the per-template bound.
 */
export const MAX_DOCUMENT_TAGS = 100_000;

/** Tag openings in `template`, counted up to `limit + 1`. */
export function countTags(template: string, limit: number): number {
  let count = 0;
  for (let i = template.indexOf('{'); i !== -1; i = template.indexOf('{', i + 1)) {
    const next = template.charCodeAt(i + 1);
    // `{{` or `{%`: one tag, whose second character is not looked at again.
    if (next === 123 || next === 37) {
      if (++count > limit) return count;
      i++;
    }
  }
  return count;
}

/** Parses once per distinct template text; throws Liquid's ParseError (or ours, past MAX_TEMPLATE_TAGS). */
function parse(template: string): Template[] {
  let tags = 0;
  return parsed.get(
    template,
    () => {
      tags = countTags(template, MAX_TEMPLATE_TAGS);
      if (tags > MAX_TEMPLATE_TAGS) throw new Error(`more than ${MAX_TEMPLATE_TAGS} tags ({{ }} or {% %}) in one template`);
      return liquid.parse(template);
    },
    (text) => text.length * 2 + tags * PARSED_TAG_BYTES,
  );
}

/** Null when the template parses, else Liquid's message (for save-time validation). */
export function compileCheck(template: string): string | null {
  // Text without a tag is its own output (renderString returns it as it is).
  if (!template.includes('{')) return null;
  try {
    parse(template);
    return null;
  } catch (error) {
    return shortMessage(error);
  }
}

/**
 * Renders a template. `escape` turns each `{{ }}` output into text (see `jsonStringEscape`,
 * `urlEscape`); without it objects and arrays render as JSON and scalars as Liquid does.
 * Throws a non-retryable CallError when the template is invalid or exceeds its limits; when the
 * scope holds secrets, pass their `redactor` so the error is redacted before it is cut.
 */
export function renderString(template: string, scope: Scope, escape?: OutputEscape, redactor?: Redactor): string {
  if (!template.includes('{')) return template;
  const text = renderSimpleTemplate(template, scope, escape, redactor);
  if (text !== undefined) return text;
  return renderWithLiquid(template, scope, escape, redactor);
}

/** renderString through Liquid always (the simple-template path's reference, in tests). */
export function renderWithLiquid(template: string, scope: Scope, escape?: OutputEscape, redactor?: Redactor): string {
  const previous = currentEscape;
  try {
    currentEscape = escape;
    return withinTurn((limits) => toValueSync(liquid.renderer.renderTemplates(parse(template), contextFor(scope, limits), new BoundedEmitter(limits))) as string);
  } catch (error) {
    throw templateError(error, redactor);
  } finally {
    currentEscape = previous;
  }
}

/**
 * Which keys of the scope object `root` a template reads (`{{ secrets.TOKEN }}` → ['TOKEN']),
 * or 'all' when it reads `root` as a whole or through a computed key. Used to know which
 * secrets a target uses.
 */
export function referencedKeys(template: string, root: string): string[] | 'all' {
  const keys = new Set<string>();
  for (const segments of liquid.globalVariableSegmentsSync(parse(template))) {
    if (segments[0] !== root) continue;
    const key = segments[1];
    if (typeof key !== 'string') return 'all';
    keys.add(key);
  }
  return [...keys];
}

/**
 * The top-level names a template reads from its scope (not those it assigns or loops over),
 * each with the key read under it (`q` in `{{ row.q }}`) and where (1-based line and column): a run start checks them against the
 * rows' columns (template-reads.ts). Throws when the template does not parse.
 */
export function readNames(template: string): { name: string; key: string | undefined; line: number; col: number }[] {
  const reads: { name: string; key: string | undefined; line: number; col: number }[] = [];
  for (const [name, uses] of Object.entries(liquid.analyzeSync(parse(template)).globals)) {
    for (const use of uses) {
      const key = use.segments[1];
      reads.push({ name, key: typeof key === 'string' ? key : undefined, line: use.location.row, col: use.location.col });
    }
  }
  return reads;
}

/** `{{ expr }}` and nothing else: the expression, or null. */
const SINGLE_OUTPUT = /^\{\{-?([\s\S]*?)-?\}\}$/;

function singleOutputExpression(template: string): string | null {
  const m = SINGLE_OUTPUT.exec(template);
  const inner = m?.[1];
  if (inner === undefined || inner.trim() === '' || /\{\{|\}\}|\{%/.test(inner)) return null;
  return inner;
}

/** The typed value of one Liquid expression (filters allowed). Missing values become null. */
function evaluate(expression: string, scope: Scope): unknown {
  const simple = evaluateSimple(expression, scope);
  return simple !== NOT_SIMPLE ? simple : evaluateWithLiquid(expression, scope);
}

/** evaluate() through Liquid always (the simple-template path's reference, in tests). */
export function evaluateWithLiquid(expression: string, scope: Scope): unknown {
  try {
    const value = expressions.get(expression, () => new Value(expression, liquid));
    const result = withinTurn((limits) => {
      const typed = toValue(toValueSync(value.value(contextFor(scope, limits), false))) as unknown;
      // The typed value is written into the body as it is: it counts as output.
      limits.writeValue(typed);
      return typed;
    });
    return result === undefined ? null : result;
  } catch (error) {
    throw templateError(error);
  }
}

/**
 * Renders a JSON template (an HTTP body): objects and arrays are walked (keys stay literal),
 * each string leaf is rendered, other leaves are kept. A leaf that is exactly one output tag
 * keeps the expression's typed value, so `{"messages": "{{messages}}"}` sends the array.
 */
export function renderJsonTemplate(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    const expression = singleOutputExpression(value);
    return expression === null ? renderString(value, scope) : evaluate(expression, scope);
  }
  if (Array.isArray(value)) return value.map((item) => renderJsonTemplate(item, scope));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty: a literal "__proto__" key stays a plain key.
      Object.defineProperty(out, key, { value: renderJsonTemplate(item, scope), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/**
 * Escape for templates that produce JSON text: a string output is escaped for use inside a
 * JSON string (`"{{q}}"` stays valid whatever q holds), any other value is written as JSON
 * text (`{{messages}}` → `[...]`); a missing value writes nothing, as in Liquid.
 */
export const jsonStringEscape: OutputEscape = (value) => {
  if (value === undefined) return '';
  if (typeof value === 'string') return JSON.stringify(value).slice(1, -1);
  return JSON.stringify(value) ?? 'null';
};

/** Escape for URL templates: every output is percent-encoded (`| raw` opts out). */
export const urlEscape: OutputEscape = (value) => {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return encodeURIComponent(value);
  if (typeof value === 'object') return encodeURIComponent(JSON.stringify(value));
  return encodeURIComponent(String(value));
};
