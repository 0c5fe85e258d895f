// isolated-vm, loaded when the first piece of code is compiled: its native module is 26 MB on
// disk and an embedded server that runs no code target or code evaluator never needs it
// (docs/benchmarks.md, "Memory").
import type ivm from 'isolated-vm';

let loading: Promise<typeof ivm> | undefined;

/** The isolated-vm module; a failed load is forgotten, so the next compile tries again. */
export function loadIvm(): Promise<typeof ivm> {
  loading ??= import('isolated-vm').then((m) => m.default, (error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
