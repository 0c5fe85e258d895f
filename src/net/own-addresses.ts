// The host's own interface addresses, for the network guard's "this host" rule: a server whose
// public address sits on one of its interfaces would otherwise let a project reach the server's
// own services (/metrics, an admin port) through that public address. See docs/security.md.
import { isIP } from 'node:net';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import { embeddedIPv4, parseIPv4, parseIPv6 } from './ip-address.js';

/** How long one read of the interface list is trusted, in milliseconds. */
export const OWN_ADDRESSES_TTL_MS = 5_000;

/** Reads the interface list, shaped like `os.networkInterfaces()`; injectable for tests. */
export type ReadInterfaces = () => NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Test seams for `ownAddressCheck`: the interface list, a monotonic clock and the cache's lifetime. */
export interface OwnAddressSeams {
  read?: ReadInterfaces | undefined;
  now?: (() => number) | undefined;
  ttlMs?: number | undefined;
}

/**
 * One key per machine an address reaches, so that an IPv4 address and its IPv4-mapped, NAT64 and
 * 6to4 forms compare equal (the guard reads those forms as the IPv4 address they deliver to).
 */
function machineKey(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIP(bare) === 4) return `4/${parseIPv4(bare)}`;
  const groups = parseIPv6(bare);
  if (groups === null) return null;
  const v4 = embeddedIPv4(groups);
  return v4 === null ? `6/${groups.join(':')}` : `4/${v4}`;
}

function keysOf(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): Set<string> {
  const keys = new Set<string>();
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      const key = machineKey(info.address);
      if (key !== null) keys.add(key);
    }
  }
  return keys;
}

/**
 * Whether an address is one of this host's own interface addresses (IPv4 or IPv6, in any form the
 * guard reads as the same machine). It runs inside every guarded connection's DNS lookup
 * (agents.ts), and os.networkInterfaces() is a system call that builds an object per address
 * (≈ 55 µs with three interfaces, growing with each container's veth), so the list is read at
 * most once per `ttlMs` and a lookup costs one Set probe: an address added to an interface is
 * refused within `ttlMs`. A failed read keeps the last list rather than throw inside a socket's
 * lookup; the guard's address ranges still apply.
 */
export function ownAddressCheck(seams: OwnAddressSeams = {}): (address: string) => boolean {
  const read = seams.read ?? networkInterfaces;
  // Monotonic, so a wall-clock step backwards cannot keep a stale list alive.
  const now = seams.now ?? (() => performance.now());
  const ttlMs = seams.ttlMs ?? OWN_ADDRESSES_TTL_MS;
  let keys = new Set<string>();
  let readAt = -Infinity;
  return (address) => {
    const at = now();
    if (at - readAt >= ttlMs) {
      readAt = at;
      try {
        keys = keysOf(read());
      } catch {
        // Keep the last list; the next read is tried after another `ttlMs`.
      }
    }
    const key = machineKey(address);
    return key !== null && keys.has(key);
  };
}
