// Which build of the server `assay` runs, shared by bin/assay.js and the benchmarks (which
// report it). Plain JavaScript: it runs before anything is built.
import { existsSync, readdirSync, statSync } from 'node:fs';

/** The builds, best first: the bundle (scripts/bundle.js), which starts in about half the time, then tsc's per-file build. */
export const BUILDS = [
  { entry: 'dist/bundle/main.js', name: 'the bundle, dist/bundle/' },
  { entry: 'dist/cli/main.js', name: "tsc's per-file dist/" },
];

/** The newest modification time of the sources the builds are made from (tests and test helpers excluded, as in tsconfig.build.json). */
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

/**
 * The first build under the package root `root` (a file: URL ending in `/`) that exists and, in
 * a source tree, is newer than every source; null when the sources must run through tsx (no
 * such build, or `fromSource`). An installed package has no src/: its first build is used.
 */
export function upToDateBuild(root, fromSource = false) {
  const src = new URL('src/', root);
  const built = BUILDS.map((b) => ({ ...b, url: new URL(b.entry, root) })).filter((b) => existsSync(b.url));
  if (!existsSync(src)) return built[0] ?? null;
  if (fromSource) return null;
  const newest = newestSource(src);
  return built.find((b) => statSync(b.url).mtimeMs >= newest) ?? null;
}
