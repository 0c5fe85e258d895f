// Which client a request comes from, as the per-address limits count it (the auth throttle,
// and the connections per client of http/connections.ts). By default that is the TCP peer:
// Assay believes no header a client can write. Behind a reverse proxy every client's peer is
// the proxy, so one guesser's failed keys blocked everyone and the per-address connection cap
// became a cap on the whole server. ASSAY_TRUSTED_PROXIES names the proxies (addresses, CIDR
// ranges, or proxy-addr's named ranges loopback, linklocal and uniquelocal): for a request
// whose peer is one of them, the client is the last address in X-Forwarded-For that is not,
// read right to left (what the proxies nearest Assay appended), so what a client writes into
// the header itself is never believed. Matching is proxy-addr's, the library Express uses.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import proxyAddr from 'proxy-addr';
import { parseIPv6 } from '../net/network-guard.js';

export interface ClientAddresses {
  /** Whether a TCP peer is a trusted proxy: its connections are not one client's. */
  trusted(peer: string | undefined): boolean;
  /** The request's client as limits count it (IPv6 per /64; `local` without a socket). */
  of(incoming: IncomingMessage | undefined): string;
  /** The request's client address in full (for logs); undefined without a socket. */
  client(incoming: IncomingMessage | undefined): string | undefined;
}

/**
 * The addresses of `trustedProxies` as one matcher. Throws a TypeError naming the first entry
 * that is no address, range or named range (the configuration refuses it at start-up).
 */
export function clientAddresses(trustedProxies: readonly string[]): ClientAddresses {
  if (trustedProxies.length === 0) {
    const peerOf = (incoming: IncomingMessage | undefined): string | undefined => incoming?.socket?.remoteAddress;
    return { trusted: () => false, of: (incoming) => addressKey(peerOf(incoming)), client: peerOf };
  }
  const trust = proxyAddr.compile([...trustedProxies]);
  const clientOf = (incoming: IncomingMessage | undefined): string | undefined => {
    const peer = incoming?.socket?.remoteAddress;
    if (peer === undefined) return undefined;
    // A proxy that forwards what is no address (a header the client wrote, passed on) names no client.
    const client = proxyAddr(incoming!, trust);
    return isIP(client) === 0 ? peer : client;
  };
  return {
    trusted: (peer) => peer !== undefined && trust(peer, 0),
    of: (incoming) => addressKey(clientOf(incoming)),
    client: clientOf,
  };
}

/**
 * A peer's address as limits count it (the auth throttle, and the connections per client of
 * http/connections.ts): IPv4 as is (also when IPv4-mapped), IPv6 as its /64; none is `local`.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'local';
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const groups = parseIPv6(address);
  return groups === null ? address : `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}
