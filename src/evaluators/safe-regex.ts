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
 * Compiles a pattern written in JavaScript or Python syntax (named groups `(?<n>…)` and
 * `\u` escapes are translated to RE2's spelling). Never throws.
 */
export function compileLinearRegex(pattern: string, options: LinearRegexOptions = {}): LinearRegexResult {
  let flags = 0;
  if (options.multiline) flags |= RE2JS.MULTILINE;
  if (options.ignoreCase) flags |= RE2JS.CASE_INSENSITIVE;
  try {
    return { ok: true, regex: RE2JS.compile(RE2JS.translateRegExp(pattern), flags) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      reason: `${message.replace(/^error parsing regexp: /, '')} (patterns run on RE2, which has no lookahead, lookbehind or backreferences)`,
    };
  }
}
