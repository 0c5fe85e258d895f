// User-written regular expressions run on untrusted model output, so a backtracking engine
// would let one pattern like `(a+)+$` stall a worker. Every user pattern goes through RE2
// (re2js, a pure-JS port): matching is linear in the input, and the features that need
// backtracking (lookaround, backreferences) are refused when the pattern is compiled.
//
// Compiling is synchronous too, and costs about what the pattern expands to: fourteen `a{1000}`
// (100 characters) expand to 14,000 instructions before the size check can refuse them, and 100
// rules of 10,000 characters held the server 4.8 s. So a pattern's cost is read from its text
// first (patternCost, one linear scan), and only a pattern whose estimate is small is compiled.
import { RE2JS } from 're2js';
import { BASE_WORK, MAX_PATTERN_WORK, patternCost } from './regex-cost.js';

export { MAX_PATTERN_WORK, type PatternCost, patternCost } from './regex-cost.js';

/** How a pattern is applied; both off by default. */
export interface LinearRegexOptions {
  /** `^` and `$` match at line breaks, as Python's re.MULTILINE (LangWatch's setting). */
  multiline?: boolean;
  ignoreCase?: boolean;
}

/**
 * The compiled pattern, or why it is refused (fit for a settings issue); either way `work` is the
 * estimated compile work spent on it (0 when it was refused before RE2 compiled it).
 */
export type LinearRegexResult = { ok: true; regex: RE2JS; work: number } | { ok: false; reason: string; work: number };

/**
 * Largest RE2 program a user pattern may compile to. Matching is linear in the text but costs
 * about the program size per character: `a{1000}` five times (5,003 instructions) takes about
 * 4 s on 50 KB, synchronously.
 */
export const MAX_PROGRAM_SIZE = 2_000;
/**
 * Matching work one evaluation may spend on user patterns, in `matchWork` units (a few hundred
 * milliseconds at most; ten catastrophic patterns on 50 KB take about 25 million); past it the
 * evaluation is an error rather than a stalled server.
 */
export const MAX_MATCH_WORK = 30_000_000;

/** Estimated work of matching `regex` on `text`: (program size + a fixed cost) × characters. */
export function matchWork(regex: RE2JS, text: string): number {
  return (regex.programSize() + 30) * text.length;
}

/** A pattern weighed before compiling: its RE2 spelling and compile work, or why it is refused unseen. */
type Weighed = { ok: true; translated: string; work: number } | { ok: false; reason: string; work: number };

function tooLarge(instructions: string): string {
  return `pattern too large: it compiles to ${instructions} RE2 instructions, at most ${MAX_PROGRAM_SIZE} are allowed (use smaller repeat counts)`;
}

function tooLong(chars: number): Weighed {
  return { ok: false, work: Number.POSITIVE_INFINITY, reason: `pattern too long: ${chars} characters, at most ${MAX_PATTERN_WORK - BASE_WORK} are allowed (fewer with repeats and alternatives)` };
}

function weigh(pattern: string, ignoreCase: boolean | undefined): Weighed {
  // Every character is a unit of work, and RE2's spelling drops at most one character an escape
  // (`\y` → `y`): a long pattern is refused before it is even translated (≈ 0.3 ms for 10,000).
  let escapes = 0;
  for (let i = pattern.indexOf('\\'); i !== -1; i = pattern.indexOf('\\', i + 1)) escapes++;
  if (BASE_WORK + pattern.length - escapes > MAX_PATTERN_WORK) return tooLong(pattern.length);
  const translated = RE2JS.translateRegExp(pattern);
  if (BASE_WORK + translated.length > MAX_PATTERN_WORK) return tooLong(translated.length);
  const cost = patternCost(translated, ignoreCase);
  if (cost.least > MAX_PROGRAM_SIZE) return { ok: false, work: cost.work, reason: tooLarge(`at least ${cost.least}`) };
  if (cost.work > MAX_PATTERN_WORK) {
    return { ok: false, work: cost.work, reason: `pattern too large: its repeats, alternatives and length add up to ${cost.work} units of compile work, at most ${MAX_PATTERN_WORK} are allowed (use a shorter pattern or smaller repeat counts)` };
  }
  return { ok: true, translated, work: cost.work };
}

/** Estimated compile work of a pattern (Infinity when too long to read), without compiling it. */
export function regexWork(pattern: string, options: LinearRegexOptions = {}): number {
  return weigh(pattern, options.ignoreCase).work;
}

/**
 * Compiles a pattern written in JavaScript or Python syntax (named groups `(?<n>…)` and
 * `\u` escapes are translated to RE2's spelling). Never throws. A pattern too costly to compile
 * (patternCost) is refused before RE2 sees it; deciding takes one pass over its text.
 */
export function compileLinearRegex(pattern: string, options: LinearRegexOptions = {}): LinearRegexResult {
  let flags = 0;
  if (options.multiline) flags |= RE2JS.MULTILINE;
  if (options.ignoreCase) flags |= RE2JS.CASE_INSENSITIVE;
  let work = 0;
  try {
    const weighed = weigh(pattern, options.ignoreCase);
    if (!weighed.ok) return { ok: false, reason: weighed.reason, work };
    work = weighed.work;
    const regex = RE2JS.compile(weighed.translated, flags);
    const size = regex.programSize();
    if (size > MAX_PROGRAM_SIZE) return { ok: false, reason: tooLarge(String(size)), work };
    return { ok: true, regex, work };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      reason: `${message.replace(/^error parsing regexp: /, '')} (patterns run on RE2, which has no lookahead, lookbehind or backreferences)`,
      work,
    };
  }
}
