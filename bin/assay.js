#!/usr/bin/env node
// Entry point of the `assay` command. It runs the compiled dist/ when it is up to date — `npm ci`
// builds it (the `prepare` script), so `npm start` never transpiles at start-up — and the
// TypeScript sources through tsx when dist/ is missing or older than a source file (a developer
// editing src/), or when ASSAY_FROM_SOURCE=1 (`npm run dev`). An installed package has only dist/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

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

const src = new URL('../src/', import.meta.url);
// The builds, best first: the bundle (scripts/bundle.js), which starts in about half the time,
// then the per-file build of tsc. `npm run build` makes both; a tree rebuilt by tsc alone after
// an edit has only the second up to date.
const builds = [new URL('../dist/bundle/main.js', import.meta.url), new URL('../dist/cli/main.js', import.meta.url)];

/** The newest modification time of the sources dist/ is built from (tests and test helpers excluded, as in tsconfig.build.json). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    if (entry.isDirectory()) {
      if (entry.name !== 'testing') newest = Math.max(newest, newestSource(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/** The first build that exists and, in a source tree, is newer than every source; else null. */
function upToDate() {
  const built = builds.filter((url) => existsSync(url));
  if (!existsSync(src)) return built[0] ?? null;
  if (process.env.ASSAY_FROM_SOURCE === '1') return null;
  const newest = newestSource(src);
  return built.find((url) => statSync(url).mtimeMs >= newest) ?? null;
}

const main = upToDate();
if (main === null) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('cli/main.ts', src).href);
} else {
  await import(main.href);
}
