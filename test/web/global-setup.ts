// Builds web/dist before the browser tests when any of its sources is newer than the build
// (npm ci and npm run build make it; this catches an edit since then).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SOURCES = ['web/src', 'web/index.html', 'web/vite.config.ts', 'src/client', 'src/core/events.ts', 'package-lock.json'];

function newest(p: string): number {
  const full = path.join(ROOT, p);
  if (!existsSync(full)) return 0;
  const st = statSync(full);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(full).map((f) => newest(path.join(p, f))));
}

export default function setup(): void {
  const built = path.join(ROOT, 'web/dist/index.html');
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  if (Math.max(...SOURCES.map(newest)) <= builtAt) return;
  console.log('web/dist is older than its sources: building it');
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
    // Vitest sets NODE_ENV=test, which would give React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
  });
}
