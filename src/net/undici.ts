// undici, loaded on first use rather than at start-up (issue 17, docs/benchmarks.md "Memory"):
// an idle server makes no outbound call, and loading undici costs ≈ 5 MB of heap. It is a
// CommonJS package, so a synchronous require keeps sharedAgent() synchronous for the targets
// and model clients that ask for an Agent while they are built. Types come from a type-only
// import, which the compiler erases.
//
// The hot paths (HTTP targets and the lean chat path) need only the Agent and its connector.
// undici's index loads everything else too (fetch, WebSocket, the mock and cache layers): about
// 100 ms of the first model call, against 35 ms for the two modules required here, which every
// first run's first wave of cells waited for (docs/decisions.md, "undici's Agent on its own").
// undici publishes no `exports` map, so its lib/ files can be required by path; the package is pinned
// by the lock file, and every outbound test fails at once if a version moves them.
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);
let loaded: typeof Undici | undefined;
let agentParts: { Agent: typeof Undici.Agent; buildConnector: typeof Undici.buildConnector } | undefined;

/** The whole undici package (request(), fetch), required the first time a request needs it. */
export function undici(): typeof Undici {
  return (loaded ??= require('undici') as typeof Undici);
}

/** undici's Agent and connector alone, required the first time an Agent is made. */
export function undiciAgent(): { Agent: typeof Undici.Agent; buildConnector: typeof Undici.buildConnector } {
  return (agentParts ??= {
    Agent: require('undici/lib/dispatcher/agent.js') as typeof Undici.Agent,
    buildConnector: require('undici/lib/core/connect.js') as typeof Undici.buildConnector,
  });
}
