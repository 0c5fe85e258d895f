// A look at JSON text before JSON.parse builds it, for text a project sends or a target answers
// (request bodies up to ASSAY_MAX_BODY_BYTES, answers and code results up to 10 MB). JSON.parse
// runs on the main thread, and its cost is in the objects it makes, not the bytes: 8 MB of
// plain rows parse in ≈ 50 ms, but 6 MB of `[],[],…` (2 million arrays) took 0.85–1.6 s and
// 8 MB of nested `[[[…` 3.6 s, every other request waiting (a security review's finding). One
// pass over the characters, skipping strings with indexOf, counts the arrays and objects and
// their depth, and stops at the first one too many: the deep body is refused in microseconds,
// the wide one in tens of milliseconds, and what passes is bounded in what it can cost to parse
// and then walk (validation, redaction, storing).

export interface JsonShapeLimits {
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
  /** Most arrays and objects in all. */
  maxContainers: number;
}

/** What is wrong with the text's shape, or null when it is within the limits (or is not JSON: JSON.parse says why). */
export function jsonShapeProblem(text: string, limits: JsonShapeLimits): string | null {
  let depth = 0;
  let containers = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // To the closing quote: one not preceded by an odd run of backslashes.
      for (;;) {
        const q = text.indexOf('"', i + 1);
        if (q < 0) return null;
        let b = q - 1;
        while (text.charCodeAt(b) === 0x5c) b--;
        i = q;
        if ((q - 1 - b) % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limits.maxDepth) return `nested more than ${limits.maxDepth} levels deep`;
      if (++containers > limits.maxContainers) return `more than ${limits.maxContainers.toLocaleString('en-US')} arrays and objects`;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return null;
}
