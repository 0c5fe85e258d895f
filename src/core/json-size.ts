// Roughly how many bytes a value takes as JSON, for bounds in bytes on what is held in memory:
// a finished cell waiting for its commit (engine/group-commit.ts) and an event in a run's ring
// (queue/event-bus.ts). A string counts its length, whatever its size; objects are walked, which
// costs less than the JSON.stringify that commits and streams make of them anyway. A row is
// shared by its cells, so its size is counted once per row object.
import type { RunEvent } from './events.js';
import type { CellDraft } from './run-store.js';

const rowBytes = new WeakMap<object, number>();
/**
 * Sizes of outputs that are objects, by identity: a cell's output is sized for its commit batch
 * and again for its event in the run's ring, and an answer of 990,000 strings took ≈ 100 ms to
 * walk each time. Outputs are not changed once a target has returned them.
 */
const outputSizes = new WeakMap<object, number>();

function outputBytes(output: unknown): number {
  if (output === null || typeof output !== 'object') return approxJsonBytes(output);
  let n = outputSizes.get(output);
  if (n === undefined) outputSizes.set(output, (n = approxJsonBytes(output)));
  return n;
}

/**
 * A target's output sized (as approxJsonBytes, and kept for its commit and event) in the same
 * walk that checks its depth, or null when it has containers `maxDepth` levels down (the root
 * is level 0). One walk instead of two: each took 50–110 ms on 990,000 strings.
 */
export function sizeOutput(output: unknown, maxDepth: number): number | null {
  if (output === null || typeof output !== 'object') return approxJsonBytes(output);
  const known = outputSizes.get(output);
  if (known !== undefined) return known;
  // Containers only are stacked (with their depth), values are sized where they are met: a pair
  // per value made the walk 3–6 times slower (core/engine/cell.ts).
  let n = 0;
  const containers: object[] = [];
  const depths: number[] = [];
  const visit = (v: unknown, depth: number): boolean => {
    if (typeof v === 'string') n += v.length + 2;
    else if (typeof v === 'number' || typeof v === 'boolean') n += 8;
    else if (v === null || typeof v !== 'object') n += 4;
    else {
      if (depth >= maxDepth) return false;
      containers.push(v);
      depths.push(depth);
    }
    return true;
  };
  visit(output, 0);
  while (containers.length > 0) {
    const c = containers.pop()!;
    const depth = depths.pop()! + 1;
    if (Array.isArray(c)) {
      n += 2 + c.length;
      for (let i = 0; i < c.length; i++) if (!visit(c[i], depth)) return null;
    } else {
      n += 2;
      const o = c as Record<string, unknown>;
      for (const k in o) {
        n += k.length + 4;
        if (!visit(o[k], depth)) return null;
      }
    }
  }
  outputSizes.set(output, n);
  return n;
}

/** About the length of `JSON.stringify(value)` (strings by their length, not their escapes). Iterative: depth is the caller's concern. */
export function approxJsonBytes(value: unknown): number {
  // Containers only go on the stack; values are sized where they are met (as in sizeOutput): a
  // push and pop per number made a row of 480,000 numbers cost twice as long.
  if (value === null || typeof value !== 'object') return scalarBytes(value);
  let n = 0;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (Array.isArray(c)) {
      n += 2 + c.length;
      for (let i = 0; i < c.length; i++) {
        const v: unknown = c[i];
        if (v !== null && typeof v === 'object') stack.push(v);
        else n += scalarBytes(v);
      }
    } else {
      n += 2;
      const o = c as Record<string, unknown>;
      for (const k in o) {
        n += k.length + 4;
        const v = o[k];
        if (v !== null && typeof v === 'object') stack.push(v);
        else n += scalarBytes(v);
      }
    }
  }
  return n;
}

/** A string by its length and quotes, a number or boolean as 8, null (and what JSON leaves out) as 4. */
function scalarBytes(v: unknown): number {
  if (typeof v === 'string') return v.length + 2;
  if (typeof v === 'number' || typeof v === 'boolean') return 8;
  return 4;
}

/** The bytes a cell's commit writes, about. */
export function draftBytes(d: CellDraft): number {
  let entry = rowBytes.get(d.entry);
  if (entry === undefined) rowBytes.set(d.entry, (entry = approxJsonBytes(d.entry)));
  return entry + (d.ok ? outputBytes(d.output) : d.error.length) + (d.evaluations.length === 0 ? 2 : approxJsonBytes(d.evaluations));
}

/** The bytes an event holds, about: its output, result or summary, and a little for the rest. */
export function eventBytes(e: RunEvent): number {
  switch (e.type) {
    case 'target_result':
      return 100 + outputBytes(e.output) + (e.error?.length ?? 0);
    case 'evaluator_result':
      return 100 + (e.result.details?.length ?? 0);
    case 'done':
      return approxJsonBytes(e.summary);
    case 'error':
      return 100 + e.message.length;
    default:
      return 100;
  }
}
