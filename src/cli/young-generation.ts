// The other half of bin/assay.js's start-up setting (docs/decisions.md, "Memory"): `serve`,
// `worker` and `demo` load their modules with V8's young generation held at its initial size
// (--semi-space-growth-factor=1), so an idle server does not keep semi-spaces grown by loading.
// Once the process is up this gives V8 back its own growth, which runs need: with a young
// generation that cannot grow every cell's garbage would be scavenged from 1 MB semi-spaces.
import { setFlagsFromString } from 'node:v8';

/** V8's default factor (flag-definitions.h); the young generation doubles when it grows. */
const V8_DEFAULT_GROWTH_FACTOR = 2;

/**
 * Lets the young generation grow again, up to --max-semi-space-size. A no-op in effect when
 * bin/assay.js did not hold it (tests, benchmarks calling startServer); a factor given on node's
 * command line is left as it is.
 */
export function letYoungGenerationGrow(): void {
  if (process.execArgv.some((a) => a.startsWith('--semi-space-growth-factor'))) return;
  setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH_FACTOR}`);
}
