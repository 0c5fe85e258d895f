// Query parameters a route does not name are refused, not ignored: a misspelt `pagesize=10`
// or `limt=5` that silently did nothing would hand the caller a page they did not ask for. A
// name given twice is refused too, since only one value could be used. Routes that take a
// family of names (`metadata.KEY`) list the family's prefix.
import { ValidationError } from '../core/errors.js';

export interface QueryNames {
  /** Names the route reads (its query schema's keys). */
  names: ReadonlySet<string>;
  /** Prefixes of names the handler reads itself (`metadata.`). */
  prefixes: readonly string[];
}

const MAX_SHOWN = 60;

function describe(allowed: QueryNames): string {
  const all = [...allowed.names, ...allowed.prefixes.map((p) => `${p}KEY`)];
  return all.length === 0 ? 'this endpoint takes no query parameters' : `this endpoint takes ${all.join(', ')}`;
}

/**
 * Throws a validation error naming the first unknown or repeated parameter of `url`; does
 * nothing for a URL without a query (the common case costs one indexOf).
 */
export function checkQueryNames(url: string, allowed: QueryNames): void {
  const start = url.indexOf('?');
  if (start < 0 || start === url.length - 1) return;
  const seen = new Set<string>();
  for (const name of new URLSearchParams(url.slice(start + 1)).keys()) {
    const known = allowed.names.has(name) || allowed.prefixes.some((p) => name.startsWith(p));
    const shown = name.slice(0, MAX_SHOWN);
    if (!known) {
      throw new ValidationError(`Unknown query parameter "${shown}": ${describe(allowed)}`, [{ path: [shown], message: 'unknown query parameter' }]);
    }
    // Repeated family names (metadata.KEY twice) are the handler's to refuse, with its own message.
    if (allowed.names.has(name)) {
      if (seen.has(name)) throw new ValidationError(`Query parameter "${shown}" is given more than once; give it once`, [{ path: [shown], message: 'repeated' }]);
      seen.add(name);
    }
  }
}
