// ASSAY_MAX_UPLOAD_BYTES (docs/large-datasets.md): the bound of streamed CSV / JSON Lines
// uploads, separate from ASSAY_MAX_BODY_BYTES; defaults that let a million-row upload through.
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

describe('upload limits', () => {
  it('defaults to 1 GiB for streamed uploads, 10 MiB for bodies read whole, and a million rows', () => {
    const config = loadConfig({});
    expect(config.maxUploadBytes).toBe(1024 * 1024 * 1024);
    expect(config.maxBodyBytes).toBe(10 * 1024 * 1024);
    expect(config.maxRows).toBe(1_000_000);
  });

  it('reads ASSAY_MAX_UPLOAD_BYTES and refuses what is not a whole number of bytes in range', () => {
    expect(loadConfig({ ASSAY_MAX_UPLOAD_BYTES: '5000000000' }).maxUploadBytes).toBe(5_000_000_000);
    for (const bad of ['-1', '1e9', 'lots', '512']) expect(() => loadConfig({ ASSAY_MAX_UPLOAD_BYTES: bad }), bad).toThrow(/ASSAY_MAX_UPLOAD_BYTES/);
  });
});
