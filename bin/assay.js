#!/usr/bin/env node
// Entry point of the `assay` command. In a source checkout it runs the TypeScript sources
// through tsx (so `npm ci && npm start` needs no build step); an installed package runs dist/.
import { existsSync } from 'node:fs';

const src = new URL('../src/cli/main.ts', import.meta.url);
const dist = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(src)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(src.href);
} else {
  await import(dist.href);
}
