// undici, loaded after start-up rather than while the process loads its modules (issue 17,
// docs/benchmarks.md "Memory"): a process that executes runs loads the Agent once it is up
// (cli/ready.ts), one that does not (a cluster api process) on first use; loading it costs ≈ 5 MB
// of heap. It is a CommonJS package, so a synchronous require keeps sharedAgent() synchronous for the targets
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
import { setFlagsFromString } from 'node:v8';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);
let requestFn: RequestFn | undefined;
let agentParts: { Agent: typeof Undici.Agent; buildConnector: typeof Undici.buildConnector } | undefined;
/** The HTTP/1 parser compiled by V8's baseline compiler only; held so V8 keeps it for undici. */
let parser: object | null | undefined;
/** Set by optimizeHttpParser(): the operator lets V8 optimize the parser. */
let optimize = false;

/**
 * ASSAY_OPTIMIZE_HTTP_PARSER=true (config/env.ts), called by the composition root before any
 * outbound call: undici compiles its parser as it would on its own, and V8 optimizes it once it
 * is hot. The same as `node --no-liftoff-only`, for where node's command line is not at hand.
 */
export function optimizeHttpParser(): void {
  optimize = true;
}

/** What `request()` is sent: undici's own options, less the URL and dispatcher given apart. */
export type RequestOptions = Pick<Undici.Dispatcher.RequestOptions, 'method' | 'headers' | 'body' | 'signal'>;

type RequestFn = (this: Undici.Dispatcher, options: Undici.Dispatcher.RequestOptions) => Promise<Undici.Dispatcher.ResponseData>;

/**
 * undici's `request(url, { dispatcher, … })` from its request module alone. undici's index,
 * which `require('undici')` loads, brings fetch, WebSocket, the mock and cache layers along:
 * ≈ 75 ms of the first AI SDK call (Anthropic, Google, …) or webhook of every process, against
 * 1–3 ms for this module. What the index adds is the URL split into origin and path, done here.
 */
export function request(dispatcher: Undici.Dispatcher, url: string, options: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  baselineParser();
  requestFn ??= require('undici/lib/api/api-request.js') as RequestFn;
  const target = new URL(url);
  return requestFn.call(dispatcher, { ...options, origin: target.origin, path: `${target.pathname}${target.search}` });
}

/** undici's Agent and connector alone, required the first time an Agent is made. */
export function undiciAgent(): { Agent: typeof Undici.Agent; buildConnector: typeof Undici.buildConnector } {
  baselineParser();
  return (agentParts ??= {
    Agent: require('undici/lib/dispatcher/agent.js') as typeof Undici.Agent,
    buildConnector: require('undici/lib/core/connect.js') as typeof Undici.buildConnector,
  });
}

/**
 * undici parses HTTP/1 with llhttp compiled to WebAssembly. V8 compiles it with Liftoff, its
 * baseline compiler, and once the parser is hot it compiles the parser's main function (33 KB of
 * WebAssembly) again with TurboFan: 160–220 ms of a compiler thread and ≈ 40 MB of compiler
 * memory, during every process's first run (≈ 0.09 ms of CPU a cell of a 2,000-cell run;
 * docs/decisions.md, "llhttp stays on V8's baseline compiler"). The baseline parser costs ≈ 0.65 µs
 * more a 600-byte answer (1.05 against 0.40 µs), so the compile pays off only after ≈ 300,000
 * calls of one process; ASSAY_OPTIMIZE_HTTP_PARSER=true or `node --no-liftoff-only` (below) is the
 * opt-out for such a process.
 *
 * V8 decides a module's tiers when it compiles it, and hands a second compilation of the same
 * bytes the module it already has (its native module cache). So the bytes undici will load are
 * compiled here once with `--liftoff-only` set, and the flag is cleared again at once: undici's
 * own `new WebAssembly.Module` then gets this baseline-only module, and no other WebAssembly of
 * the process (sandboxed code's) is affected. If undici ever loads other bytes, it compiles them
 * as before: slower first runs, nothing wrong. The variant follows undici's own choice
 * (lib/dispatcher/client-h1.js, `lazyllhttp`): SIMD unless UNDICI_NO_WASM_SIMD=1 or on ppc64.
 */
function baselineParser(): void {
  if (parser !== undefined) return;
  parser = null;
  // A flag given on node's command line, or ASSAY_OPTIMIZE_HTTP_PARSER, is the operator's choice.
  if (optimize || process.execArgv.some((a) => /^--(no-)?liftoff[-_]only/.test(a))) return;
  const env = process.env.UNDICI_NO_WASM_SIMD;
  const simd = env === '0' || (env !== '1' && process.arch !== 'ppc64');
  setFlagsFromString('--liftoff-only');
  try {
    if (simd) parser = compile('undici/lib/llhttp/llhttp_simd-wasm.js');
    parser ??= compile('undici/lib/llhttp/llhttp-wasm.js');
  } finally {
    setFlagsFromString('--no-liftoff-only');
  }
}

/** `WebAssembly.Module`, which the compiler's library settings (no DOM) do not declare. */
const WasmModule = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } }).WebAssembly.Module;

function compile(bytesModule: string): object | null {
  try {
    return new WasmModule(require(bytesModule) as Buffer);
  } catch {
    return null; // undici falls back the same way (no SIMD on this CPU) or fails on its own
  }
}
