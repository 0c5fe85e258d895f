// The SSRF guard of every outbound call a project chooses the address of (HTTP targets, model
// providers with a project base URL, judges, embeddings, moderation, webhooks): when private
// networks are not allowed, such a call may only reach public unicast addresses. The check runs
// inside the socket's own DNS lookup (see agents.ts), so the address checked is the address
// connected to: a name cannot answer "public" to the check and "private" to the connection (DNS
// rebinding). Every address a name resolves to must be public. See docs/security.md.
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
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

/** Classifies an address like `nonPublicKind`; injectable for tests. */
export type AddressKind = (address: string) => string | null;

const systemResolve: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** The non-retryable refusal to call `origin` because `host` is (or resolves to) `address`. */
export function refusal(origin: string, host: string, address: string, kind: string): CallError {
  const what = `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} address`;
  return new CallError(
    `refused to call ${origin}: ${host === address ? `it is ${what}` : `${host} resolves to ${address}, ${what}`}` +
      '; private networks are not allowed',
    { retryable: false },
  );
}

/** The first address that is not public, with its kind, or null when all are public. */
function firstNonPublic(addresses: readonly string[], kindOf: AddressKind): { address: string; kind: string } | null {
  for (const address of addresses) {
    const kind = kindOf(address);
    if (kind !== null) return { address, kind };
  }
  return null;
}

function dnsFailure(host: string, error: unknown): CallError {
  const code = (error as { code?: unknown } | null)?.code;
  return new CallError(`DNS lookup failed for ${host} (${typeof code === 'string' ? code : 'error'})`, { retryable: true, cause: error });
}

/**
 * What the guarded lookup fails with when a name resolves to a non-public address. It only
 * knows the host name; the connector, which knows the origin, turns it into `refusal(…)`.
 */
export class RefusedAddress extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly kind: string,
  ) {
    super(`${host} resolves to ${address}, a non-public address`);
    this.name = 'RefusedAddress';
  }
}

/**
 * A `lookup` for `net.connect`: resolves the name, fails with RefusedAddress when any address
 * is not public, and otherwise hands the socket exactly the addresses it checked.
 */
export function guardedLookup(resolve: Resolve = systemResolve, kindOf: AddressKind = nonPublicKind): LookupFunction {
  return (host, options, callback) => {
    resolve(host).then(
      (all) => {
        // The socket may ask for one family only (`family: 4 | 6`); 0 or absent means either.
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const addresses = wanted === 0 ? all : all.filter((address) => isIP(address) === wanted);
        if (addresses.length === 0) {
          callback(new CallError(`DNS lookup found no address for ${host}`, { retryable: true }), '', 0);
          return;
        }
        const refused = firstNonPublic(all, kindOf);
        if (refused !== null) {
          callback(new RefusedAddress(host, refused.address, refused.kind), '', 0);
        } else if (options.all === true) {
          callback(null, addresses.map((address) => ({ address, family: isIP(address) })));
        } else {
          callback(null, addresses[0]!, isIP(addresses[0]!));
        }
      },
      (error: unknown) => callback(dnsFailure(host, error), '', 0),
    );
  };
}
