// The SSRF guard of every outbound call a project chooses the address of (HTTP targets, model
// providers with a project base URL, judges, embeddings, moderation, webhooks): when private
// networks are not allowed, such a call may only reach public unicast addresses that are not the
// server's own. The check runs inside the socket's own DNS lookup (see agents.ts), so the address
// checked is the address connected to: a name cannot answer "public" to the check and "private"
// to the connection (DNS rebinding). Every address a name resolves to must be public. See
// docs/security.md.
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { CallError } from '../core/model/results.js';
import { embeddedIPv4, parseIPv4, parseIPv6 } from './ip-address.js';
import { ownAddressCheck } from './own-addresses.js';

// Kept importable from here: the auth throttle reads client addresses with it.
export { parseIPv6 } from './ip-address.js';

/**
 * IPv4 ranges a project may not reach: [base address, prefix length, kind named in the refusal].
 * The rows of IANA's IPv4 Special-Purpose Address Registry that are not globally reachable (the
 * registry's name in the comment), plus multicast. Its globally reachable rows stay allowed:
 * 192.31.196.0/24 and 192.175.48.0/24 (AS112 DNS) and 192.52.193.0/24 (AMT).
 */
const V4_BLOCKED: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'], // "This network"; 0.0.0.0/32 "This host on this network"
  ['10.0.0.0', 8, 'private'], // Private-Use
  ['100.64.0.0', 10, 'carrier-grade NAT'], // Shared Address Space
  ['127.0.0.0', 8, 'loopback'], // Loopback
  ['169.254.0.0', 16, 'link-local'], // Link Local
  ['172.16.0.0', 12, 'private'], // Private-Use
  // IETF Protocol Assignments, whole: its two anycast /32s (PCP, TURN) serve no HTTP.
  ['192.0.0.0', 24, 'IETF protocol assignment'],
  ['192.0.2.0', 24, 'documentation'], // Documentation (TEST-NET-1)
  ['192.88.99.0', 24, '6to4 relay anycast'], // Deprecated (6to4 Relay Anycast), RFC 7526
  ['192.168.0.0', 16, 'private'], // Private-Use
  ['198.18.0.0', 15, 'benchmarking'], // Benchmarking
  ['198.51.100.0', 24, 'documentation'], // Documentation (TEST-NET-2)
  ['203.0.113.0', 24, 'documentation'], // Documentation (TEST-NET-3)
  ['224.0.0.0', 4, 'multicast'], // IANA IPv4 Multicast Address Space Registry
  ['240.0.0.0', 4, 'reserved'], // Reserved
  ['255.255.255.255', 32, 'limited broadcast'], // Limited Broadcast
];

/**
 * IPv6 ranges a project may not reach, as above, from IANA's IPv6 Special-Purpose Address
 * Registry. Not listed: the forms that deliver to an embedded IPv4 address (IPv4-mapped,
 * IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16), which are judged by that address, and
 * 2620:4f:8000::/48 (AS112, globally reachable). Anything else outside 2000::/3 is 'reserved'.
 */
const V6_BLOCKED: [string, number, string][] = [
  ['::', 128, 'unspecified'], // Unspecified Address
  ['::1', 128, 'loopback'], // Loopback Address
  // IPv4-IPv6 Translation, local-use (RFC 8215): where the IPv4 address sits depends on the
  // operator's translator prefix length, which the guard cannot know, so the block is refused.
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'], // Discard-Only Address Block, RFC 6666
  ['100:0:0:1::', 64, 'dummy'], // Dummy IPv6 Prefix, RFC 9780
  // IETF Protocol Assignments, whole: its globally reachable rows (PCP, TURN and DNS-SD anycast,
  // AMT, AS112, ORCHIDv2, DRIP) serve no HTTP.
  ['2001::', 23, 'IETF protocol assignment'],
  // TEREDO, RFC 4380: tunnels to an IPv4 server and an obfuscated IPv4 client in the address.
  ['2001::', 32, 'Teredo'],
  ['2001:2::', 48, 'benchmarking'], // Benchmarking
  ['2001:10::', 28, 'ORCHID'], // Deprecated (previously ORCHID)
  ['2001:db8::', 32, 'documentation'], // Documentation
  ['3fff::', 20, 'documentation'], // Documentation, RFC 9637
  ['5f00::', 16, 'segment routing (SRv6)'], // Segment Routing (SRv6) SIDs, RFC 9602
  ['fc00::', 7, 'unique-local'], // Unique-Local
  ['fe80::', 10, 'link-local'], // Link-Local Unicast
  ['fec0::', 10, 'site-local'], // deprecated by RFC 3879; IANA IPv6 Address Space Registry
  ['ff00::', 8, 'multicast'], // Multicast
];

// Longest prefix first, so a range inside another (Teredo inside 2001::/23, the broadcast address
// inside 240/4) is named by its own row whatever the tables' order.
const byLongestPrefix = <T extends { bits: number }>(ranges: T[]): T[] => ranges.sort((x, y) => y.bits - x.bits);

const V4_RANGES = byLongestPrefix(V4_BLOCKED.map(([base, bits, kind]) => ({ base: parseIPv4(base), bits, kind })));

const V6_RANGES = byLongestPrefix(V6_BLOCKED.map(([base, bits, kind]) => ({ base: parseIPv6(base)!, bits, kind })));

function v4Kind(n: number): string | null {
  for (const { base, bits, kind } of V4_RANGES) {
    const size = 2 ** (32 - bits);
    if (n >= base && n < base + size) return kind;
  }
  return null;
}

/** Whether the first `bits` bits of two IPv6 addresses (as groups) are equal. */
function samePrefix(g: readonly number[], base: readonly number[], bits: number): boolean {
  for (let i = 0; i * 16 < bits; i++) {
    const mask = bits - i * 16 >= 16 ? 0xffff : (0xffff << (16 - (bits - i * 16))) & 0xffff;
    if (((g[i] ?? 0) & mask) !== ((base[i] ?? 0) & mask)) return false;
  }
  return true;
}

function v6Kind(g: number[]): string | null {
  for (const { base, bits, kind } of V6_RANGES) {
    if (samePrefix(g, base, bits)) return kind;
  }
  const v4 = embeddedIPv4(g);
  if (v4 !== null) return v4Kind(v4);
  // Global unicast is 2000::/3; the rest of the space is unassigned or reserved by the IETF.
  return ((g[0] ?? 0) & 0xe000) === 0x2000 ? null : 'reserved';
}

/** The kind of the server's own interface addresses; `refusal` words it "an address of this host". */
export const THIS_HOST = 'this host';

/** Why an address is special-purpose ('loopback', 'private', 'documentation', …), or null when public. */
export function specialPurposeKind(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIP(bare) === 4) return v4Kind(parseIPv4(bare));
  const groups = parseIPv6(bare);
  // Anything we cannot parse is refused rather than trusted.
  return groups === null ? 'unparseable' : v6Kind(groups);
}

/** Classifies an address like `nonPublicKind`; injectable for tests. */
export type AddressKind = (address: string) => string | null;

/** A `nonPublicKind` that tells the host's own addresses with `isOwnAddress`; a seam for tests. */
export function nonPublicKindWith(isOwnAddress: (address: string) => boolean): AddressKind {
  return (address) => specialPurposeKind(address) ?? (isOwnAddress(address) ? THIS_HOST : null);
}

/**
 * Why a project may not reach an address ('loopback', 'private', …, or THIS_HOST for one of the
 * server's own interface addresses), or null when it may.
 */
export const nonPublicKind: AddressKind = nonPublicKindWith(ownAddressCheck());

/** Resolves every address of a host; injectable for tests. */
export type Resolve = (host: string) => Promise<string[]>;

const systemResolve: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** The non-retryable refusal to call `origin` because `host` is (or resolves to) `address`. */
export function refusal(origin: string, host: string, address: string, kind: string): CallError {
  // "an IETF …", "an unspecified …", but "a unique-local …".
  const what = kind === THIS_HOST ? 'an address of this host' : `${/^(?:[aeio]|u(?!ni))/i.test(kind) ? 'an' : 'a'} ${kind} address`;
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
