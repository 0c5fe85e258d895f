// The connection limits of a listener (http/connections.ts) from ASSAY_MAX_CONNECTIONS and
// ASSAY_MAX_CONNECTIONS_PER_CLIENT, with defaults that fit the process's open-file limit.
import { readFileSync } from 'node:fs';
import type { ConnectionLimits } from '../http/connections.js';

/** Past this many connections a server mostly holds idle sockets (≈ 6 KB each): a bound on memory too. */
const DEFAULT_MAX = 4_096;
const HEADERS_TIMEOUT_MS = 20_000;
const BODY_IDLE_MS = 30_000;

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
export function connectionLimits(max: number | undefined, perClient: number | undefined, files = openFileLimit()): ConnectionLimits {
  const cap = max ?? Math.max(16, Math.min(DEFAULT_MAX, Math.floor((files ?? Infinity) / 2)));
  return { max: cap, perClient: perClient ?? Math.max(1, Math.floor(cap / 4)), headersTimeoutMs: HEADERS_TIMEOUT_MS, bodyIdleMs: BODY_IDLE_MS };
}
