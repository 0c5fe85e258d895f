// The last step of `serve` and `worker` start-up, once the process is up and before it takes
// work. Kept apart from the commands so both end start-up the same way.
import { undiciAgent } from '../net/undici.js';
import type { ProcessPlan } from '../config/roles.js';
import { letYoungGenerationGrow } from './young-generation.js';

/**
 * A process that executes runs loads undici's Agent and compiles its HTTP/1 parser now, while
 * nothing waits, rather than inside a first run's first model or agent call: that call went on
 * the wire ≈ 16 ms later than a warm server's (docs/decisions.md, "Outbound HTTP loaded once
 * the server is up"). It costs ≈ 5 MB of an idle server's memory, so a cluster `api` process,
 * which executes no cell, keeps loading it on first use (a webhook). Then the young generation
 * may grow again (young-generation.ts): what loading kept stays out of its semi-spaces.
 */
export function endStartUp(plan: ProcessPlan): void {
  if (plan.mode === 'embedded' || plan.executes) undiciAgent();
  letYoungGenerationGrow();
}
