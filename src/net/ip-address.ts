// IP address text as numbers, for the network guard (network-guard.ts) and its list of the
// host's own addresses (own-addresses.ts), which must read an address the same way.
import { isIP } from 'node:net';

/** An IPv4 address as one unsigned 32-bit number; the caller has checked `isIP(address) === 4`. */
export function parseIPv4(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** The eight 16-bit groups of an IPv6 address (brackets and zone id dropped), or null when malformed. */
export function parseIPv6(address: string): number[] | null {
  let text = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    if (isIP(dotted[1]) !== 4) return null;
    const n = parseIPv4(dotted[1]);
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

/**
 * The IPv4 address that packets to this IPv6 address end up at, or null when it carries none:
 * IPv4-mapped (::ffff:a.b.c.d, which a dual-stack socket sends over IPv4), the deprecated
 * IPv4-compatible form (::a.b.c.d), the well-known NAT64 prefix (64:ff9b::/96, RFC 6052) and
 * 6to4 (2002:AABB:CCDD::/48, tunnelled to AA.BB.CC.DD).
 */
export function embeddedIPv4(g: readonly number[]): number | null {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, h6 = 0, h7 = 0] = g;
  const low = h6 * 65536 + h7;
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && (f === 0xffff || f === 0)) return low;
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return low;
  if (a === 0x2002) return b * 65536 + c;
  return null;
}
