import { describe, expect, it } from 'vitest';
import { connectionLimits, openFileLimit, parseTrustedProxies } from './connections.js';
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
    expect(connectionLimits({}, () => 20_000)).toMatchObject({ max: 4_096, perClient: 1_024 });
    expect(connectionLimits({}, () => 1_024)).toMatchObject({ max: 512, perClient: 128 });
    expect(connectionLimits({}, () => undefined)).toMatchObject({ max: 4_096, perClient: 1_024 });
    expect(connectionLimits({ max: 100 }, () => 20_000)).toMatchObject({ max: 100, perClient: 25 });
    expect(connectionLimits({ max: 100, perClient: 0 }, () => 20_000)).toMatchObject({ max: 100, perClient: 0 });
  });

  it('takes the caps from the environment and refuses a value that is no count', () => {
    expect(loadConfig({ ASSAY_MAX_CONNECTIONS: '300', ASSAY_MAX_CONNECTIONS_PER_CLIENT: '0' }).connections).toMatchObject({ max: 300, perClient: 0 });
    expect(() => loadConfig({ ASSAY_MAX_CONNECTIONS: '0' })).toThrow(/ASSAY_MAX_CONNECTIONS/);
    expect(() => loadConfig({ ASSAY_MAX_CONNECTIONS_PER_CLIENT: 'many' })).toThrow(/ASSAY_MAX_CONNECTIONS_PER_CLIENT/);
  });

  it('reads the trusted proxies: addresses, ranges and named ranges; none; never every address', () => {
    expect(loadConfig({}).trustedProxies).toEqual([]);
    const config = loadConfig({ ASSAY_TRUSTED_PROXIES: ' 10.0.0.5, 172.16.0.0/12 ,fd00::/8,loopback ' });
    expect(config.trustedProxies).toEqual(['10.0.0.5', '172.16.0.0/12', 'fd00::/8', 'loopback']);
    expect(config.connections.trustedProxies).toEqual(config.trustedProxies);
    expect(parseTrustedProxies('none')).toEqual({ proxies: [] });
    expect(parseTrustedProxies('')).toEqual({ proxies: [] });
    expect(parseTrustedProxies('10.0.0.0/255.0.0.0')).toEqual({ proxies: ['10.0.0.0/255.0.0.0'] });
    for (const all of ['0.0.0.0/0', '::/0', '*', 'true', '::ffff:0:0/96']) {
      expect(parseTrustedProxies(all), all).toEqual({ error: expect.stringMatching(/trusts every address/) });
    }
    expect(parseTrustedProxies('10.0.0.1, proxy.internal')).toEqual({ error: expect.stringMatching(/"proxy.internal" is no IP address/) });
    expect(() => loadConfig({ ASSAY_TRUSTED_PROXIES: '10.0.0.300' })).toThrow(/ASSAY_TRUSTED_PROXIES.*"10.0.0.300" is no IP address/);
  });

  it('takes the keep-alive timeout from the environment, Node’s 5 s unset', () => {
    expect(loadConfig({}).connections.keepAliveTimeoutMs).toBe(5_000);
    expect(loadConfig({ ASSAY_KEEP_ALIVE_TIMEOUT_MS: '65000' }).connections.keepAliveTimeoutMs).toBe(65_000);
    expect(() => loadConfig({ ASSAY_KEEP_ALIVE_TIMEOUT_MS: '10' })).toThrow(/ASSAY_KEEP_ALIVE_TIMEOUT_MS/);
  });

  it('takes the request timeouts and the least body rate from the environment', () => {
    expect(loadConfig({}).connections).toMatchObject({ headersTimeoutMs: 20_000, bodyIdleMs: 30_000, bodyMinBytesPerSecond: 500 });
    const set = loadConfig({ ASSAY_HEADERS_TIMEOUT_MS: '5000', ASSAY_BODY_IDLE_TIMEOUT_MS: '120000', ASSAY_BODY_MIN_BYTES_PER_SECOND: '0' });
    expect(set.connections).toMatchObject({ headersTimeoutMs: 5_000, bodyIdleMs: 120_000, bodyMinBytesPerSecond: 0 });
    expect(() => loadConfig({ ASSAY_HEADERS_TIMEOUT_MS: '999' })).toThrow(/ASSAY_HEADERS_TIMEOUT_MS/);
    expect(() => loadConfig({ ASSAY_BODY_IDLE_TIMEOUT_MS: '30s' })).toThrow(/ASSAY_BODY_IDLE_TIMEOUT_MS/);
    expect(() => loadConfig({ ASSAY_BODY_MIN_BYTES_PER_SECOND: '-1' })).toThrow(/ASSAY_BODY_MIN_BYTES_PER_SECOND/);
  });
});
