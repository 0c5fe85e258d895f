// The start-up warning for ASSAY_HTTP_TARGETS_ALLOW_PRIVATE=true (the default, so the quick
// start's local agent works) on a server others can reach. Whoever holds a project key can then
// point an HTTP target, a provider baseUrl or a webhook at the server's private network (cloud
// metadata, databases, admin pages). Decided by HOST, not by the number of projects: HOST is
// known before anything opens and does not change while the server runs, whereas projects are
// created later through the admin API, and a single project's key may well be shared too.
// Only the default warns: an operator who wrote ASSAY_HTTP_TARGETS_ALLOW_PRIVATE=true chose it,
// and a warning that cannot be answered is soon read by no one (docs/decisions.md,
// "Private-network warning").
import { isIP } from 'node:net';
import type { Config } from './env.js';

/** True when `host` accepts connections from this machine only (localhost, 127.0.0.0/8, ::1). */
export function isLoopbackOnly(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}

/**
 * The one warning line for the server log, or null: private addresses refused, only this
 * machine can connect, or the operator set ASSAY_HTTP_TARGETS_ALLOW_PRIVATE in `env` themselves.
 */
export function privateNetworkWarning(config: Pick<Config, 'httpTargetsAllowPrivate' | 'host'>, env: NodeJS.ProcessEnv): string | null {
  if (!config.httpTargetsAllowPrivate || isLoopbackOnly(config.host)) return null;
  if ((env.ASSAY_HTTP_TARGETS_ALLOW_PRIVATE ?? '').trim() !== '') return null;
  return `ASSAY_HTTP_TARGETS_ALLOW_PRIVATE is unset, so true, and HOST=${config.host} accepts connections from other machines: projects' HTTP targets, provider base URLs and webhooks may reach private and loopback addresses of this server's network. Set ASSAY_HTTP_TARGETS_ALLOW_PRIVATE=false to refuse them (docs/security.md, "The operator's network"), true to keep them and silence this, or HOST=127.0.0.1 to serve this machine only`;
}
