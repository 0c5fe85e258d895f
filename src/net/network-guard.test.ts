import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { CallError } from '../core/model/results.js';
import { guardedLookup, nonPublicKind, nonPublicKindWith, parseIPv6, RefusedAddress, refusal, THIS_HOST } from './network-guard.js';
import { ownAddressCheck } from './own-addresses.js';

describe('nonPublicKind', () => {
  it('flags loopback, private, documentation and every other special-purpose range, in each form that reaches it', () => {
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
      ['240.0.0.1', 'reserved'],
      ['255.255.255.255', 'limited broadcast'],
      ['192.0.0.9', 'IETF protocol assignment'],
      ['192.0.2.2', 'documentation'],
      ['198.51.100.7', 'documentation'],
      ['203.0.113.7', 'documentation'],
      ['192.88.99.1', '6to4 relay anycast'],
      ['198.18.0.1', 'benchmarking'],
      ['198.19.255.255', 'benchmarking'],
      ['10.0.0.1%eth0', 'private'],
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
      // The server's own address in the security review: every IPv6 form that delivers to it.
      ['::ffff:192.0.2.2', 'documentation'],
      ['[::ffff:c000:202]', 'documentation'],
      ['64:ff9b::192.0.2.2', 'documentation'],
      ['2002:c000:0202::1', 'documentation'],
      ['::ffff:203.0.113.7', 'documentation'],
      ['64:ff9b::198.51.100.7', 'documentation'],
      ['2002:c058:6301::1', '6to4 relay anycast'],
      ['::ffff:255.255.255.255', 'limited broadcast'],
      ['2001:db8::1', 'documentation'],
      ['3fff::1', 'documentation'],
      ['3fff:fff:ffff::1', 'documentation'],
      ['100::1', 'discard-only'],
      ['100:0:0:1::1', 'dummy'],
      // Local-use NAT64 is refused even around a public IPv4 address: its layout is the operator's.
      ['64:ff9b:1::c0a8:101', 'local-use NAT64'],
      ['64:ff9b:1:808:8:800::', 'local-use NAT64'],
      ['2001::1', 'Teredo'],
      ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
      ['2001:2::1', 'benchmarking'],
      ['2001:10::1', 'ORCHID'],
      ['2001:20::1', 'IETF protocol assignment'],
      ['2001:1ff:ffff::1', 'IETF protocol assignment'],
      ['5f00::1', 'segment routing (SRv6)'],
      ['fec0::1', 'site-local'],
      ['4000::1', 'reserved'],
      ['64:ff9b:0:0:0:1::1', 'reserved'],
      ['not-an-ip', 'unparseable'],
    ];
    for (const [address, kind] of cases) expect(nonPublicKind(address), address).toBe(kind);
  });

  it('lets public unicast addresses through', () => {
    const publicAddresses = [
      ...['8.8.8.8', '93.184.216.34', '172.32.0.1', '192.169.0.1', '192.0.3.1', '198.51.101.1', '203.0.114.1', '192.31.196.1'],
      ...['2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8', '2002:0808:0808::1', '2001:200::1', '2620:4f:8000::1', '3fff:1000::1'],
    ];
    for (const address of publicAddresses) {
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

describe('refusal', () => {
  it('names what the address is, in the words of every other refusal', () => {
    expect(refusal('http://203.0.113.7:9000', '203.0.113.7', '203.0.113.7', THIS_HOST).message).toBe(
      'refused to call http://203.0.113.7:9000: it is an address of this host; private networks are not allowed',
    );
    expect(refusal('https://me.test', 'me.test', '2606:4700:4700::1001', THIS_HOST).message).toBe(
      'refused to call https://me.test: me.test resolves to 2606:4700:4700::1001, an address of this host; private networks are not allowed',
    );
    expect(refusal('http://[fd00::2]', 'fd00::2', 'fd00::2', 'unique-local').message).toContain('it is a unique-local address;');
    expect(refusal('http://192.0.0.9', '192.0.0.9', '192.0.0.9', 'IETF protocol assignment').message).toContain('it is an IETF protocol assignment address;');
  });
});

/** An `os.networkInterfaces()` answer holding these addresses on eth0. */
function interfaces(...addresses: string[]): NodeJS.Dict<NetworkInterfaceInfo[]> {
  return {
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
    eth0: addresses.map((address): NetworkInterfaceInfo =>
      address.includes(':')
        ? { address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: `${address}/64`, scopeid: 0 }
        : { address, netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: `${address}/24` },
    ),
  };
}

describe('this host', () => {
  it('refuses the server’s own public addresses in every form, and no other public address', () => {
    const kindOf = nonPublicKindWith(ownAddressCheck({ read: () => interfaces('8.8.4.4', '2606:4700:4700::1001') }));
    for (const address of ['8.8.4.4', '::ffff:8.8.4.4', '[::ffff:808:404]', '64:ff9b::8.8.4.4', '2002:808:404::1', '2606:4700:4700::1001', '[2606:4700:4700:0::1001]']) {
      expect(kindOf(address), address).toBe(THIS_HOST);
    }
    for (const address of ['8.8.8.8', '::ffff:8.8.8.8', '2606:4700:4700::1111']) expect(kindOf(address), address).toBeNull();
    // A special-purpose range keeps its own, more telling, name.
    expect(nonPublicKindWith(ownAddressCheck({ read: () => interfaces('192.0.2.2') }))('192.0.2.2')).toBe('documentation');
  });

  it('refuses this machine’s own non-loopback interface addresses, and still lets public ones through', (ctx) => {
    const own = Object.values(networkInterfaces())
      .flatMap((infos) => infos ?? [])
      .filter((info) => !info.internal)
      .map((info) => info.address);
    if (own.length === 0) ctx.skip('this machine has no non-loopback interface address to try');
    const isOwn = ownAddressCheck();
    for (const address of own) {
      expect(isOwn(address), address).toBe(true);
      expect(nonPublicKind(address), address).not.toBeNull();
      if (!address.includes(':')) {
        expect(isOwn(`::ffff:${address}`), `::ffff:${address}`).toBe(true);
        expect(nonPublicKind(`::ffff:${address}`), `::ffff:${address}`).not.toBeNull();
      }
    }
    expect(nonPublicKind('8.8.8.8')).toBeNull();
    expect(nonPublicKind('2606:4700:4700::1111')).toBeNull();
  });

  it('reads the interface list at most once per lifetime, and sees a new address after it', () => {
    let now = 0;
    let reads = 0;
    let current = interfaces('8.8.4.4');
    const read = (): NodeJS.Dict<NetworkInterfaceInfo[]> => {
      reads += 1;
      return current;
    };
    const isOwn = ownAddressCheck({ now: () => now, ttlMs: 5_000, read });
    for (let i = 0; i < 1_000; i++) isOwn('8.8.8.8');
    expect(reads).toBe(1);
    current = interfaces('8.8.4.4', '1.1.1.1');
    now = 4_999;
    expect(isOwn('1.1.1.1')).toBe(false);
    now = 5_000;
    expect(isOwn('1.1.1.1')).toBe(true);
    expect(reads).toBe(2);
  });

  it('keeps the last list when reading the interfaces fails, rather than failing the lookup', () => {
    let now = 0;
    let fail = false;
    const read = (): NodeJS.Dict<NetworkInterfaceInfo[]> => {
      if (fail) throw new Error('uv_interface_addresses failed');
      return interfaces('8.8.4.4');
    };
    const isOwn = ownAddressCheck({ now: () => now, ttlMs: 10, read });
    expect(isOwn('8.8.4.4')).toBe(true);
    fail = true;
    now = 10;
    expect(isOwn('8.8.4.4')).toBe(true);
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

  it('refuses a host that resolves to one of the server’s own addresses', async () => {
    const kindOf = nonPublicKindWith(ownAddressCheck({ read: () => interfaces('93.184.216.34') }));
    const own = guardedLookup(resolve, kindOf);
    const [error] = await new Promise<unknown[]>((done) => own('public.test', { all: true }, (...args: unknown[]) => done(args)));
    expect(error).toMatchObject({ host: 'public.test', address: '93.184.216.34', kind: THIS_HOST });
  });

  it('makes DNS failures and empty answers retryable CallErrors', async () => {
    const [failed] = await look('nowhere.test', { all: true });
    expect(failed).toBeInstanceOf(CallError);
    expect(failed).toMatchObject({ retryable: true, message: 'DNS lookup failed for nowhere.test (ENOTFOUND)' });
    const [empty] = await look('empty.test', { all: true });
    expect(empty).toMatchObject({ retryable: true, message: 'DNS lookup found no address for empty.test' });
  });
});
