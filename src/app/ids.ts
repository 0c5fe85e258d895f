// Identifiers: a type prefix plus a ULID, so ids are URL-safe, unique across processes and
// sort by creation time (run_01JD…).
import { monotonicFactory } from 'ulidx';

const ulid = monotonicFactory();

export type IdPrefix = 'proj' | 'key' | 'exp' | 'ds' | 'run' | 'proc' | 'whd';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${ulid()}`;
}
