import { describe, expect, it } from 'vitest';
import { connectionLimits, openFileLimit } from './connections.js';
import { loadConfig } from './env.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('connection limits', () => {
  it("reads the soft open-file limit from Linux's /proc", () => {
    expect(openFileLimit(() => LIMITS)).toBe(1024);
    expect(openFileLimit(() => LIMITS.replace('1024   ', 'unlimited'))).toBeUndefined();
    expect(openFileLimit(() => { throw new Error('ENOENT'); })).toBeUndefined();
  });

  it('leaves half the open files to the database and outbound calls, and gives one address a quarter of the cap', () => {
    expect(connectionLimits(undefined, undefined, 20_000)).toMatchObject({ max: 4_096, perClient: 1_024 });
    expect(connectionLimits(undefined, undefined, 1_024)).toMatchObject({ max: 512, perClient: 128 });
    expect(connectionLimits(undefined, undefined, undefined)).toMatchObject({ max: 4_096, perClient: 1_024 });
    expect(connectionLimits(100, undefined, 20_000)).toMatchObject({ max: 100, perClient: 25 });
    expect(connectionLimits(100, 0, 20_000)).toMatchObject({ max: 100, perClient: 0 });
  });

  it('takes the caps from the environment and refuses a value that is no count', () => {
    expect(loadConfig({ ASSAY_MAX_CONNECTIONS: '300', ASSAY_MAX_CONNECTIONS_PER_CLIENT: '0' }).connections).toMatchObject({ max: 300, perClient: 0 });
    expect(() => loadConfig({ ASSAY_MAX_CONNECTIONS: '0' })).toThrow(/ASSAY_MAX_CONNECTIONS/);
    expect(() => loadConfig({ ASSAY_MAX_CONNECTIONS_PER_CLIENT: 'many' })).toThrow(/ASSAY_MAX_CONNECTIONS_PER_CLIENT/);
  });
});
