// The run page's JavaScript, gzipped, stays under the 300 KB: every script in
// web/dist (the entry and each lazily loaded chunk), measured after the build and printed.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const DIST = path.resolve(import.meta.dirname, '../../web/dist');

describe('bundle size', () => {
  it('keeps all of the page’s JavaScript under 300 KB gzipped', () => {
    const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
    const entry = /<script type="module"[^>]*src="\/_app\/([^"]+\.js)"/.exec(html)?.[1];
    expect(entry).toBeDefined();
    const scripts = readdirSync(path.join(DIST, '_app')).filter((f) => f.endsWith('.js'));
    let total = 0;
    const lines: string[] = [];
    for (const file of scripts) {
      const raw = readFileSync(path.join(DIST, '_app', file));
      const gz = gzipSync(raw, { level: 9 }).length;
      total += gz;
      lines.push(`${file.padEnd(28)} ${(raw.length / 1024).toFixed(1).padStart(7)} KB  ${(gz / 1024).toFixed(1).padStart(6)} KB gzipped${file === entry ? '  (entry)' : ''}`);
    }
    console.log(`web/dist JavaScript:\n${lines.join('\n')}\ntotal ${(total / 1024).toFixed(1)} KB gzipped`);
    expect(scripts).toContain(entry);
    expect(total).toBeLessThan(300 * 1024);
  });
});
