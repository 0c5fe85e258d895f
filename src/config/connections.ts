// The connection limits of a listener (http/connections.ts) from ASSAY_MAX_CONNECTIONS,
// ASSAY_MAX_CONNECTIONS_PER_CLIENT, ASSAY_TRUSTED_PROXIES, ASSAY_KEEP_ALIVE_TIMEOUT_MS and the
// request timeouts (ASSAY_HEADERS_TIMEOUT_MS, ASSAY_BODY_IDLE_TIMEOUT_MS,
// ASSAY_BODY_MIN_BYTES_PER_SECOND), with defaults that fit the process's open-file limit.
import { readFileSync } from 'node:fs';
import proxyAddr from 'proxy-addr';
import type { ConnectionLimits } from '../http/connections.js';

/** Past this many connections a server mostly holds idle sockets (≈ 6 KB each): a bound on memory too. */
const DEFAULT_MAX = 4_096;
const HEADERS_TIMEOUT_MS = 20_000;
const BODY_IDLE_MS = 30_000;
/** Apache's mod_reqtimeout default (MinRate=500): far below any real link, far above a drip. */
const BODY_MIN_BYTES_PER_SECOND = 500;
/** Node's own default: an idle keep-alive connection is closed after 5 s. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export interface ConnectionSettings {
  max?: number | undefined;
  perClient?: number | undefined;
  trustedProxies?: readonly string[] | undefined;
  keepAliveTimeoutMs?: number | undefined;
  headersTimeoutMs?: number | undefined;
  bodyIdleMs?: number | undefined;
  bodyMinBytesPerSecond?: number | undefined;
}

/**
 * The soft limit on open files (`ulimit -n`), from Linux's /proc; undefined elsewhere. Every
 * connection takes one, and so do the database, its temporary files and outbound calls.
 */
export function openFileLimit(read: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | undefined {
  try {
    const soft = /^Max open files\s+(\d+|unlimited)\s/m.exec(read())?.[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/**
 * Unset, the cap is 4,096 connections, or half the open-file limit when that is lower (the
 * other half is left to the database and outbound calls), and one client address may hold a
 * quarter of it.
 */
export function connectionLimits(settings: ConnectionSettings, fileLimit: () => number | undefined = openFileLimit): ConnectionLimits {
  const cap = settings.max ?? Math.max(16, Math.min(DEFAULT_MAX, Math.floor((fileLimit() ?? Infinity) / 2)));
  return {
    max: cap,
    perClient: settings.perClient ?? Math.max(1, Math.floor(cap / 4)),
    trustedProxies: settings.trustedProxies ?? [],
    headersTimeoutMs: settings.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
    bodyIdleMs: settings.bodyIdleMs ?? BODY_IDLE_MS,
    bodyMinBytesPerSecond: settings.bodyMinBytesPerSecond ?? BODY_MIN_BYTES_PER_SECOND,
    keepAliveTimeoutMs: settings.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS,
  };
}

/**
 * ASSAY_TRUSTED_PROXIES: comma-separated addresses, CIDR ranges (`10.0.0.0/8`, `fd00::/8`) and
 * named ranges (`loopback`, `linklocal`, `uniquelocal`); `none` or empty for none. A range of
 * every address (`/0`) is refused: trusting any peer lets any client choose its own address.
 * Returns the entries, or the reason the value is refused.
 */
export function parseTrustedProxies(value: string): { proxies: string[] } | { error: string } {
  const entries = value.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 1 && entries[0]!.toLowerCase() === 'none') return { proxies: [] };
  if (entries.length > 256) return { error: `names ${entries.length} entries; at most 256` };
  for (const entry of entries) {
    const shown = JSON.stringify(entry.slice(0, 60));
    const everyAddress = { error: `${shown} trusts every address, so any client could name its own address in X-Forwarded-For: name the proxies` };
    let trust: (address: string, i: number) => boolean;
    try {
      trust = proxyAddr.compile(entry);
    } catch {
      // proxy-addr refuses a /0 itself; it is named for what it would mean.
      if (['*', 'all', 'true'].includes(entry.toLowerCase()) || /\/(0+|0+\.0+\.0+\.0+|::)$/.test(entry)) return everyAddress;
      return { error: `${shown} is no IP address, CIDR range (10.0.0.0/8) or named range (loopback, linklocal, uniquelocal)` };
    }
    // Only a range of every address holds both ends of the address space (`::ffff:0:0/96` is all of IPv4).
    if ((trust('0.0.0.0', 0) && trust('255.255.255.255', 0)) || (trust('::', 0) && trust('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 0))) return everyAddress;
  }
  return { proxies: entries };
}
