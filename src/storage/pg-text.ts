// PostgreSQL's text type cannot hold U+0000 (error 22021, "invalid byte sequence for encoding
// UTF8: 0x00"); SQLite's can. Text reaches a query from outside in many places: a path
// parameter looked up, a target's error message, a model's answer quoted in a run's error. One
// NUL in any of them made the query fail — a lookup answered 500, and a run whose HTTP target
// answered `{"error":"bad\u0000input"}` could never commit that cell, so it ended
// `run_crashed_repeatedly` and lost its good cells too. JSON columns are written with
// JSON.stringify, which escapes U+0000, so only parameters bound as plain strings are at risk:
// this client replaces U+0000 in those by U+FFFD (the replacement character) on the way in,
// for every query. A lookup of a NUL-bearing id then finds nothing (404), and stored text
// keeps every other character. Names and other fields a user types are refused with U+0000
// earlier, at validation, so nothing a user chose is changed silently.
import type pg from 'pg';

const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';

/** The parameters with U+0000 in strings replaced; the same array when none holds one (the usual case). */
export function withoutNul(values: unknown[]): unknown[] {
  let out: unknown[] | null = null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'string' && v.includes(NUL)) {
      out ??= values.slice();
      out[i] = v.replaceAll(NUL, REPLACEMENT);
    }
  }
  return out ?? values;
}

/** pg's Client with withoutNul applied to every query's parameters (Kysely calls `query(sql, values)`). */
export function nulSafeClient(driver: typeof pg): typeof pg.Client {
  return class NulSafeClient extends driver.Client {
    // pg's query has a dozen overloads; this only rewrites the (text, values, …) form.
    override query(...args: unknown[]): never {
      if (typeof args[0] === 'string' && Array.isArray(args[1])) args[1] = withoutNul(args[1]);
      return (super.query as (...a: unknown[]) => never)(...args);
    }
  } as typeof pg.Client;
}
