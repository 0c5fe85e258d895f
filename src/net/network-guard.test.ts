import { describe, expect, it } from 'vitest';
import { CallError } from '../core/model/results.js';
import { guardedLookup, nonPublicKind, parseIPv6, RefusedAddress } from './network-guard.js';

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

describe('guardedLookup', () => {
  const resolve = async (host: string): Promise<string[]> => {
    if (host === 'mixed.test') return ['93.184.216.34', '10.0.0.1'];
    if (host === 'public.test') return ['93.184.216.34', '2606:4700:4700::1111'];
    if (host === 'empty.test') return [];
    throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
  };
  const lookup = guardedLookup(resolve);
  /** The lookup's callback arguments, as `net.connect` would receive them. */
  const look = (host: string, options: { all?: boolean; family?: number }) =>
    new Promise<unknown[]>((done) => lookup(host, options, (...args: unknown[]) => done(args)));

  it('hands the socket exactly the addresses it checked', async () => {
    expect(await look('public.test', { all: true })).toEqual([
      null,
      [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:4700:4700::1111', family: 6 },
      ],
    ]);
    expect(await look('public.test', {})).toEqual([null, '93.184.216.34', 4]);
    expect(await look('public.test', { family: 6 })).toEqual([null, '2606:4700:4700::1111', 6]);
  });

  it('refuses a host when any of its addresses is not public', async () => {
    const [error] = await look('mixed.test', { all: true });
    expect(error).toBeInstanceOf(RefusedAddress);
    expect(error).toMatchObject({ host: 'mixed.test', address: '10.0.0.1', kind: 'private' });
  });

  it('makes DNS failures and empty answers retryable CallErrors', async () => {
    const [failed] = await look('nowhere.test', { all: true });
    expect(failed).toBeInstanceOf(CallError);
    expect(failed).toMatchObject({ retryable: true, message: 'DNS lookup failed for nowhere.test (ENOTFOUND)' });
    const [empty] = await look('empty.test', { all: true });
    expect(empty).toMatchObject({ retryable: true, message: 'DNS lookup found no address for empty.test' });
  });
});
