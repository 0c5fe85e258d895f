// User-written regular expressions run on untrusted model output, so a backtracking engine
// would let one pattern like `(a+)+$` stall a worker. Every user pattern goes through RE2
// (re2js, a pure-JS port): matching is linear in the input, and the features that need
// backtracking (lookaround, backreferences) are refused when the pattern is compiled.
import { RE2JS } from 're2js';

/** How a pattern is applied; both off by default. */
export interface LinearRegexOptions {
  /** `^` and `$` match at line breaks, as Python's re.MULTILINE (LangWatch's setting). */
  multiline?: boolean;
  ignoreCase?: boolean;
}

/** The compiled pattern, or why RE2 refused it (fit for a settings issue). */
export type LinearRegexResult = { ok: true; regex: RE2JS } | { ok: false; reason: string };

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

/**
 * Compiles a pattern written in JavaScript or Python syntax (named groups `(?<n>…)` and
 * `\u` escapes are translated to RE2's spelling). Never throws.
 */
export function compileLinearRegex(pattern: string, options: LinearRegexOptions = {}): LinearRegexResult {
  let flags = 0;
  if (options.multiline) flags |= RE2JS.MULTILINE;
  if (options.ignoreCase) flags |= RE2JS.CASE_INSENSITIVE;
  try {
    const regex = RE2JS.compile(RE2JS.translateRegExp(pattern), flags);
    const size = regex.programSize();
    if (size > MAX_PROGRAM_SIZE) {
      return { ok: false, reason: `pattern too large: it compiles to ${size} RE2 instructions, at most ${MAX_PROGRAM_SIZE} are allowed (use smaller repeat counts)` };
    }
    return { ok: true, regex };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      reason: `${message.replace(/^error parsing regexp: /, '')} (patterns run on RE2, which has no lookahead, lookbehind or backreferences)`,
    };
  }
}
