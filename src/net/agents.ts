// The process-wide undici Agents every outbound call goes through: one open, one guarded (public
// addresses only, see network-guard.ts), per purpose. HTTP targets dispatch on them directly
// (http-transport.ts); model providers reach them through lean-fetch.ts and http-transport.ts. Which one a
// call uses is decided by who chose its address: the operator (server-level provider URLs) or a
// project (HTTP target URLs, project provider base URLs, webhooks). See docs/security.md.
import { isIP } from 'node:net';
import type { Agent, buildConnector } from 'undici';
import { type AddressKind, guardedLookup, nonPublicKind, RefusedAddress, refusal, type Resolve } from './network-guard.js';
import { undiciAgent } from './undici.js';

/** Test seams for the guarded Agent: the DNS resolver and the address classifier. */
export interface GuardSeams {
  resolve?: Resolve | undefined;
  kindOf?: AddressKind | undefined;
}

/**
 * What an Agent is for: `targets` answer one request at a time per connection and keep idle
 * connections briefly (undici's default); `models` keep them 30 s, since a run calls the same
 * provider again and again and a TLS handshake costs more than the call's own CPU.
 */
export type AgentPurpose = 'targets' | 'models';

const KEEP_ALIVE_MS: Record<AgentPurpose, number | undefined> = { targets: undefined, models: 30_000 };

const agents = new Map<string, Agent>();

function createAgent(purpose: AgentPurpose, connect?: buildConnector.connector): Agent {
  // One request at a time per kept-alive connection (pipelining 1): a slow answer must not hold
  // up the calls queued behind it. No connection cap per origin: the engine's limiters set how
  // many calls are in flight. Redirects are not followed here (no redirect interceptor).
  const keepAliveTimeout = KEEP_ALIVE_MS[purpose];
  return new (undiciAgent().Agent)({ pipelining: 1, ...(keepAliveTimeout !== undefined ? { keepAliveTimeout } : {}), ...(connect !== undefined ? { connect } : {}) });
}

/** The process-wide Agent for a purpose: guarded (public addresses only) or open. Made on first use. */
export function sharedAgent(guarded: boolean, purpose: AgentPurpose = 'targets'): Agent {
  const key = `${purpose}:${guarded ? 'guarded' : 'open'}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = guarded ? createGuardedAgent({}, purpose) : createAgent(purpose);
    agents.set(key, agent);
  }
  return agent;
}

/**
 * An Agent whose connections may only reach public addresses. A host name is resolved by the
 * socket's own lookup, which refuses the connection or hands over exactly the addresses it
 * checked; an IP literal skips lookup, so it is checked before connecting.
 */
export function createGuardedAgent(seams: GuardSeams = {}, purpose: AgentPurpose = 'targets'): Agent {
  const kindOf = seams.kindOf ?? nonPublicKind;
  const connect = undiciAgent().buildConnector({ lookup: guardedLookup(seams.resolve, kindOf) });
  return createAgent(purpose, (options, callback) => {
    const origin = `${options.protocol}//${options.host ?? options.hostname}`;
    const literalKind = isIP(options.hostname) === 0 ? null : kindOf(options.hostname);
    if (literalKind !== null) {
      // Answer asynchronously, as a real connection attempt would.
      queueMicrotask(() => callback(refusal(origin, options.hostname, options.hostname, literalKind), null));
      return;
    }
    connect(options, (...result) => {
      const [error] = result;
      // The lookup knows only the host name; the refusal names the origin like every error.
      if (error instanceof RefusedAddress) callback(refusal(origin, error.host, error.address, error.kind), null);
      else callback(...result);
    });
  });
}
