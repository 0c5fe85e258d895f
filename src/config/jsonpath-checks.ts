// The save-time check of HTTP targets' `outputPath`: its filter scripts may only read and compare
// values (targets/jsonpath-filters.ts). Before, `$[?(@.repeat(100000000).split(''))]` was saved,
// and each run of it (resumed again after every restart) killed the server.
import type { DocumentCheck } from '../app/experiments.js';
import type { Issue } from '../core/errors.js';
import { outputPathProblem } from '../targets/http-response.js';

/** Save-time checks: every HTTP target's outputPath filter is one a run would evaluate (400 naming targets.N.outputPath). */
export const jsonPathCheck: DocumentCheck = (doc) => {
  const issues: Issue[] = [];
  doc.targets.forEach((t, i) => {
    if (t.type !== 'http' || t.outputPath === undefined) return;
    const problem = outputPathProblem(t.outputPath);
    if (problem !== null) issues.push({ path: ['targets', i, 'outputPath'], message: problem });
  });
  return issues;
};
