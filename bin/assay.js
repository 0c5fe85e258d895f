#!/usr/bin/env node
// Entry point of the `assay` command. It runs the compiled dist/ when it is up to date — `npm ci`
// builds it (the `prepare` script), so `npm start` never transpiles at start-up — and the
// TypeScript sources through tsx when dist/ is missing or older than a source file (a developer
// editing src/), or when ASSAY_FROM_SOURCE=1 (`npm run dev`). An installed package has only dist/.
import { setFlagsFromString } from 'node:v8';
import { upToDateBuild } from './builds.js';

// The long-running commands load their modules with V8's young generation kept at its initial
// size (docs/decisions.md, "Memory"): loading keeps most of what it allocates, so V8 would grow
// the semi-spaces to --max-semi-space-size (16 MB) and an idle server would hold ≈ 28 MB of them
// for good (V8 gives them back only when its memory reducer runs, ≈ 25 s later). With a growth
// factor of 1 what loading keeps is promoted from 1 MB semi-spaces instead, and startServer /
// startWorker set V8's factor back (src/cli/young-generation.ts) once listening, so runs grow
// the young generation as before. V8 reads the factor at each growth, so it works set here. A
// value given on node's command line wins.
const longRunning = ['serve', 'worker', 'demo'].includes(process.argv[2] ?? '');
if (longRunning && !process.execArgv.some((a) => a.startsWith('--semi-space-growth-factor'))) setFlagsFromString('--semi-space-growth-factor=1');

// The bundle when it is up to date, else tsc's per-file build; else the sources through tsx
// (bin/builds.js). `npm run build` makes both builds; a tree rebuilt by tsc alone after an edit
// has only the second up to date.
const root = new URL('../', import.meta.url);
const main = upToDateBuild(root, process.env.ASSAY_FROM_SOURCE === '1')?.url ?? null;
if (main === null) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('src/cli/main.ts', root).href);
} else {
  await import(main.href);
}
