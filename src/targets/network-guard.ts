// SSRF guard for HTTP targets: when private networks are not allowed, a target may only reach
// public unicast addresses. Every address a host name resolves to is checked, on every call
// and every redirect hop (DNS answers change). See docs/decisions.md ("HTTP targets").
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { CallError } from '../core/model/results.js';

/** IPv4 ranges that are not public unicast: [first octets as a number, prefix length, name]. */
const V4_BLOCKED: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

function v4ToNumber(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

const V4_RANGES = V4_BLOCKED.map(([base, bits, kind]) => ({ base: v4ToNumber(base), bits, kind }));

function v4Kind(n: number): string | null {
  for (const { base, bits, kind } of V4_RANGES) {
    const size = 2 ** (32 - bits);
    if (n >= base && n < base + size) return kind;
  }
  return null;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or null when malformed. */
export function parseIPv6(address: string): number[] | null {
  let text = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    if (isIP(dotted[1]) !== 4) return null;
    const n = v4ToNumber(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const out: number[] = [];
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    out.push(parseInt(group, 16));
  }
  return out;
}

function v6Kind(g: number[]): string | null {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, h6 = 0, h7 = 0] = g;
  const embedded = h6 * 65536 + h7;
  const zeroUpTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && h7 === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d) forms.
  if (zeroUpTo(5) && (f === 0xffff || f === 0)) return v4Kind(embedded);
  // NAT64 (64:ff9b::a.b.c.d) reaches the embedded IPv4 address.
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return v4Kind(embedded);
  // 6to4 (2002:AABB:CCDD::) tunnels to the IPv4 address in groups 2–3.
  if (a === 0x2002) return v4Kind(b * 65536 + c);
  if ((a & 0xfe00) === 0xfc00) return 'unique-local';
  if ((a & 0xffc0) === 0xfe80) return 'link-local';
  if ((a & 0xffc0) === 0xfec0) return 'site-local';
  if ((a & 0xff00) === 0xff00) return 'multicast';
  return null;
}

/** Why an address is not public unicast ('loopback', 'private', …), or null when it is. */
export function nonPublicKind(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare.replace(/%.*$/, ''));
  if (family === 4) return v4Kind(v4ToNumber(bare));
  const groups = parseIPv6(bare);
  // Anything we cannot parse is refused rather than trusted.
  return groups === null ? 'unparseable' : v6Kind(groups);
}

/** Resolves every address of a host; injectable for tests. */
export type Resolve = (host: string) => Promise<string[]>;

const systemResolve: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Throws a non-retryable CallError when `url`'s host is or resolves to a non-public address;
 * a DNS failure is a retryable CallError naming its code.
 */
export async function assertPublicHost(url: URL, resolve: Resolve = systemResolve): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new CallError(`DNS lookup failed for ${host} (${typeof code === 'string' ? code : 'error'})`, { retryable: true, cause: error });
    }
  }
  if (addresses.length === 0) throw new CallError(`DNS lookup found no address for ${host}`, { retryable: true });
  for (const address of addresses) {
    const kind = nonPublicKind(address);
    if (kind !== null) {
      const what = `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} address`;
      throw new CallError(
        `refused to call ${url.origin}: ${host === address ? `it is ${what}` : `${host} resolves to ${address}, ${what}`}` +
          '; private networks are not allowed',
        { retryable: false },
      );
    }
  }
}
