#!/usr/bin/env node
// Builds dist/bundle/: the server and CLI as a few ES modules instead of ≈ 700 files. Loading
// 700 modules (263 of them Kysely's, 100 OpenTelemetry's API, 224 ours) was most of what
// `npm start` spent before answering /healthz; bundled, the same code starts in about half the
// time (docs/decisions.md, "A bundled build for npm start"). `npm run build` runs it after tsc,
// which stays the type check and the per-file build that `dist/` publishes. Dynamic imports stay
// separate chunks, so what start-up does not load (the AI SDK, cluster mode, the exporters) is
// still loaded only when used.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asciiComments } from './ascii-source.js';

const root = fileURLToPath(new URL('../', import.meta.url));
// The output folder: dist/bundle, or the one given (a test builds its own, inside the package so
// that the packages left out of the bundle resolve from its node_modules).
const outdir = process.argv[2] ? path.resolve(process.argv[2]) : `${root}dist/bundle`;

/**
 * Packages left to node_modules: native addons, and packages that find files next to their own
 * modules at run time (bullmq's Lua scripts, piscina's and pino's worker files, OpenTelemetry's
 * gRPC exporter's .proto files, ioredis's error stacks), which a bundle would move away from
 * them. OpenTelemetry's API is left out with its SDK so that both share one copy.
 */
const EXTERNAL = [
  'better-sqlite3',
  'isolated-vm',
  'pg-native',
  'swagger-ui-dist',
  'bullmq',
  'ioredis',
  'piscina',
  'pino',
  '@opentelemetry/*',
  '@grpc/*',
];

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // The evaluator worker is an entry of its own: the offload pool starts it as ./worker.js, next
  // to the chunk that holds the pool. Every file lands in dist/bundle/ itself, two levels below
  // the package root as dist/<dir>/ files are, so paths relative to a module still resolve.
  entryPoints: { main: 'src/cli/main.ts', worker: 'src/evaluators/offload/worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  external: EXTERNAL,
  sourcemap: true,
  sourcesContent: false,
  // CommonJS packages in the bundle call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as assayCreateRequire } from 'node:module'; const require = assayCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

// V8 keeps each module's source text in the heap (lazy functions are compiled from it), and a
// source with a single character outside Latin-1 is stored at two bytes a character: main.js
// and two large chunks took 6.8 MB of heap instead of 3.4. esbuild escapes what it emits in
// strings, templates and identifiers, but leaves comments (ours have ×, →, …) and regular
// expression literals as written. So those two are escaped here too (docs/decisions.md, "An
// ASCII bundle"). A tagged template's raw text is left as it is: escaping it would change it.
for (const name of readdirSync(outdir)) {
  if (!name.endsWith('.js')) continue;
  const file = path.join(outdir, name);
  const code = readFileSync(file, 'utf8');
  const ascii = asciiComments(code);
  if (ascii !== code) writeFileSync(file, ascii);
}
