// ASSAY_OPTIMIZE_HTTP_PARSER (src/net/undici.ts, docs/deployment.md): off by default, so a
// fresh server's first run does not spend a compiler thread optimizing undici's parser; the
// composition root passes `true` on before any outbound call (undici.test.ts shows its effect).
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

describe('ASSAY_OPTIMIZE_HTTP_PARSER', () => {
  it('is off unless set, and takes the booleans every other switch takes', () => {
    expect(loadConfig({}).optimizeHttpParser).toBe(false);
    for (const on of ['true', '1', 'yes', ' TRUE ']) expect(loadConfig({ ASSAY_OPTIMIZE_HTTP_PARSER: on }).optimizeHttpParser, on).toBe(true);
    for (const off of ['false', '0', 'no']) expect(loadConfig({ ASSAY_OPTIMIZE_HTTP_PARSER: off }).optimizeHttpParser, off).toBe(false);
  });

  it('stops start-up on anything else, naming the variable', () => {
    for (const bad of ['sometimes', 'on', '2']) expect(() => loadConfig({ ASSAY_OPTIMIZE_HTTP_PARSER: bad }), bad).toThrow(/ASSAY_OPTIMIZE_HTTP_PARSER="/);
  });
});
