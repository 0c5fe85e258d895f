// undici, loaded on first use rather than at start-up (issue 17, docs/benchmarks.md "Memory"):
// an idle server makes no outbound call, and loading undici costs ≈ 5 MB of heap. It is a
// CommonJS package, so a synchronous require keeps sharedAgent() synchronous for the targets
// and model clients that ask for an Agent while they are built. Types come from a type-only
// import, which the compiler erases.
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);
let loaded: typeof Undici | undefined;

/** The undici package, required the first time an Agent or a request needs it. */
export function undici(): typeof Undici {
  return (loaded ??= require('undici') as typeof Undici);
}
