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
