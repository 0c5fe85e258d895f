// Parsing untrusted JSON text: prototype-pollution keys are refused (secure-json-parse) and
// nesting is bounded, because later recursive steps (validation, JSON.stringify, templates)
// would otherwise overflow the stack on a hostile body.
import sjson from 'secure-json-parse';
import { AssayError, ValidationError } from '../core/errors.js';

export const MAX_JSON_DEPTH = 64;

/** JSON text → value, or an AssayError (`invalid_json` / `validation_error`). */
export function parseUntrustedJson(text: string, what = 'body'): unknown {
  let value: unknown;
  try {
    value = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    if (error instanceof SyntaxError && /prototype/i.test(error.message)) {
      throw new ValidationError(`The ${what} contains a forbidden key (__proto__ or constructor.prototype)`, [
        { path: [], message: 'forbidden key __proto__ or constructor.prototype' },
      ]);
    }
    throw new AssayError('invalid_json', `The ${what} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, {
      compatText: 'Invalid JSON body',
    });
  }
  assertDepth(value, what);
  return value;
}

/** Throws when `value` nests objects/arrays deeper than MAX_JSON_DEPTH. Iterative on purpose. */
export function assertDepth(value: unknown, what = 'body', max = MAX_JSON_DEPTH): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) {
      throw new ValidationError(`The ${what} is nested more than ${max} levels deep`, [{ path: [], message: `nested more than ${max} levels` }]);
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
}
