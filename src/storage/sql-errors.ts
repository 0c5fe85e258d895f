import { yieldIfBusy } from '../core/turns.js';

// Recognises unique-constraint violations from either driver by their stable codes.
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** JSON text → value, for columns we wrote ourselves. */
export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/**
 * Stored rows' JSON texts → values, giving the turn away between two rows once the turn is
 * spent (core/turns.ts): a run's page of rows is up to 4 MB, and 4 rows of 480,000 numbers
 * parsed in one go held the main thread 0.4 s (security review of 2026-12-07).
 */
export async function parseRows<T>(texts: readonly { data: string }[]): Promise<T[]> {
  const out: T[] = [];
  for (const t of texts) {
    if (out.length > 0) await yieldIfBusy();
    out.push(JSON.parse(t.data) as T);
  }
  return out;
}
