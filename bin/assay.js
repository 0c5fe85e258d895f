#!/usr/bin/env node
// Entry point of the `assay` command. It runs the compiled dist/ when it is up to date — `npm ci`
// builds it (the `prepare` script), so `npm start` never transpiles at start-up — and the
// TypeScript sources through tsx when dist/ is missing or older than a source file (a developer
// editing src/), or when ASSAY_FROM_SOURCE=1 (`npm run dev`). An installed package has only dist/.
import { existsSync, readdirSync, statSync } from 'node:fs';

const src = new URL('../src/', import.meta.url);
const main = new URL('../dist/cli/main.js', import.meta.url);

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

const fromSource = existsSync(src) && (process.env.ASSAY_FROM_SOURCE === '1' || !existsSync(main) || newestSource(src) > statSync(main).mtimeMs);
if (fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('cli/main.ts', src).href);
} else {
  await import(main.href);
}
