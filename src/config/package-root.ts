// The package's root folder (where package.json, web/dist and examples/ are), found by walking
// up from this module. A fixed '../..' would depend on where the module was built to: src/config,
// dist/config and the bundle's dist/bundle (docs/decisions.md, "A bundled build for npm start")
// sit at different depths below the root.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function findRoot(): URL {
  let dir = new URL('./', import.meta.url);
  for (;;) {
    if (existsSync(new URL('package.json', dir))) return dir;
    const parent = new URL('../', dir);
    if (parent.href === dir.href) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The root as a directory URL (ends with a slash). */
export const PACKAGE_ROOT: URL = findRoot();

/** A file or folder of the package, as a path (`web/dist/`, `examples/faq-bot/`). */
export function packagePath(relative: string): string {
  return fileURLToPath(new URL(relative, PACKAGE_ROOT));
}
