import { describe, expect, it } from 'vitest';
import { CallError } from '../core/model/results.js';
import { assertPublicHost, nonPublicKind, parseIPv6 } from './network-guard.js';

describe('nonPublicKind', () => {
  it('flags loopback, private, link-local, unique-local, unspecified and friends', () => {
    const cases: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.1.2', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['0.0.0.0', 'unspecified'],
      ['100.64.0.1', 'carrier-grade NAT'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['fc00::1', 'unique-local'],
      ['fd12:3456::1', 'unique-local'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['[::ffff:a9fe:a9fe]', 'link-local'],
      ['64:ff9b::10.0.0.1', 'private'],
      ['2002:c0a8:0101::1', 'private'],
      ['not-an-ip', 'unparseable'],
    ];
    for (const [address, kind] of cases) expect(nonPublicKind(address), address).toBe(kind);
  });

  it('lets public unicast addresses through', () => {
    for (const address of ['8.8.8.8', '93.184.216.34', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:0808:0808::1']) {
      expect(nonPublicKind(address), address).toBeNull();
    }
  });

  it('parses IPv6 forms', () => {
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6('1::8')).toEqual([1, 0, 0, 0, 0, 0, 0, 8]);
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
    expect(parseIPv6('1::2::3')).toBeNull();
    expect(parseIPv6('1:2:3')).toBeNull();
    expect(parseIPv6('12345::')).toBeNull();
  });
});

describe('assertPublicHost', () => {
  it('refuses a host when any of its addresses is private, and DNS failures are retryable', async () => {
    const resolve = async (host: string): Promise<string[]> => {
      if (host === 'mixed.test') return ['93.184.216.34', '10.0.0.1'];
      if (host === 'public.test') return ['93.184.216.34', '2606:4700:4700::1111'];
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expect(assertPublicHost(new URL('http://public.test/x'), resolve)).resolves.toBeUndefined();
    await expect(assertPublicHost(new URL('http://mixed.test/x'), resolve)).rejects.toThrow(
      'refused to call http://mixed.test: mixed.test resolves to 10.0.0.1, a private address; private networks are not allowed',
    );
    await expect(assertPublicHost(new URL('http://[::1]:80/'), resolve)).rejects.toThrow(/it is a loopback address/);
    await expect(assertPublicHost(new URL('http://2130706433/'), resolve)).rejects.toThrow(/it is a loopback address/);
    const dns = await assertPublicHost(new URL('http://nowhere.test/'), resolve).catch((e: unknown) => e);
    expect(dns).toBeInstanceOf(CallError);
    expect((dns as CallError).retryable).toBe(true);
    expect((dns as CallError).message).toBe('DNS lookup failed for nowhere.test (ENOTFOUND)');
  });
});
