// ASSAY_SANDBOX_MEMORY_MB: the heap all sandbox isolates of the process may hold at once
// (src/sandbox/budget.ts); at least one 128 MB isolate's worth.
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

describe('sandbox memory budget setting', () => {
  it('defaults to 1024 MB (eight isolates) and reads a whole number of MB', () => {
    expect(loadConfig({}).sandboxMemoryMb).toBe(1024);
    expect(loadConfig({ ASSAY_SANDBOX_MEMORY_MB: '4096' }).sandboxMemoryMb).toBe(4096);
  });

  it('refuses less than one isolate, and what is not a number of MB', () => {
    for (const bad of ['127', '0', '-1', '1.5', '1e3', 'lots']) {
      expect(() => loadConfig({ ASSAY_SANDBOX_MEMORY_MB: bad }), bad).toThrow(/ASSAY_SANDBOX_MEMORY_MB/);
    }
  });
});
