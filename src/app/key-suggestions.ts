// A suggestion for a misspelt key: `evaluator:` for `evaluators:`, `treshold` for `threshold`.
// zod says which keys it did not recognise, not which it would have; those are read off the
// schema at the path.
import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';

/** The parts of zod 4's schema definitions walked here (public on every schema as `def`). */
interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  getter?: () => Schema;
  options?: Schema[];
  left?: Schema;
  right?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  valueType?: Schema;
  items?: Schema[];
}
type Schema = { def: Def };

/** The schemas a value at this schema may be checked against, wrappers and unions opened. */
function open(schema: Schema, out: Schema[], depth = 0): Schema[] {
  if (depth > 20) return out;
  const d = schema.def;
  const inner = d.innerType ?? (d.type === 'pipe' ? d.in : undefined) ?? (d.type === 'lazy' ? d.getter?.() : undefined);
  if (inner) return open(inner, out, depth + 1);
  if (d.type === 'union' && d.options) for (const o of d.options) open(o, out, depth + 1);
  else if (d.type === 'intersection' && d.left && d.right) {
    open(d.left, out, depth + 1);
    open(d.right, out, depth + 1);
  } else out.push(schema);
  return out;
}

/** The keys an object at `path` of `schema` may have (of every union member that fits the path). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let frontier = open(schema as unknown as Schema, []);
  for (const segment of path) {
    const next: Schema[] = [];
    for (const s of frontier) {
      const d = s.def;
      let child: Schema | undefined;
      if (d.type === 'object' && typeof segment === 'string') child = d.shape?.[segment];
      else if (d.type === 'array' && typeof segment === 'number') child = d.element;
      else if (d.type === 'record') child = d.valueType;
      else if (d.type === 'tuple' && typeof segment === 'number') child = d.items?.[segment];
      if (child) open(child, next);
    }
    frontier = next;
  }
  const keys = new Set<string>();
  for (const s of frontier) if (s.def.type === 'object') for (const k of Object.keys(s.def.shape ?? {})) keys.add(k);
  return [...keys];
}

/** The known key `key` was probably meant to be, or undefined when none is near. */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(key.toLowerCase(), known.map((k) => k.toLowerCase()));
  const original = known.find((k) => k.toLowerCase() === best)!;
  return distance(key.toLowerCase(), best) <= Math.max(2, Math.floor(key.length / 3)) ? original : undefined;
}
