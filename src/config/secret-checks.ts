// Which secrets a run's HTTP targets read that no call could use: names the project cannot
// resolve (neither stored nor, for projects allowed the server's credentials, ASSAY_SECRET_*),
// and, for a target whose URL has a fixed origin, secrets bound to other origins. A run start
// refuses both before any cell runs. Glue between the run service and the target adapters'
// template analysis, which the app layer may not import.
import type { Target } from '../core/model/experiment.js';
import type { SecretsProvider } from '../core/ports.js';
import type { SecretProblems, SecretProblemsOf } from '../app/runs/secret-check.js';
import { secretsUsed } from '../targets/secret-reads.js';
import { fixedOrigin } from '../targets/url-origin.js';

export function secretProblemsOf(secrets: SecretsProvider): SecretProblemsOf {
  return async (projectId: string, targets: readonly Target[]) => {
    const reads: { targetId: string; used: Set<string> | 'all'; origin: string | undefined }[] = [];
    for (const target of targets) {
      if (target.type !== 'http') continue;
      const used = secretsUsed(target);
      const origin = fixedOrigin(target.url);
      // A template that reads `secrets` as a whole names none ahead of time: nothing is missing,
      // but every secret the project has goes to its origin (as http.ts checks each call).
      if (used === 'all' ? origin !== undefined : used.size > 0) reads.push({ targetId: target.id, used, origin });
    }
    const problems: SecretProblems = { missing: [], misdirected: [] };
    if (reads.length === 0) return problems;
    // Decrypting the project's secrets is the cost of a start that needs them, never of one that does not.
    const { values, origins } = await secrets.secretsFor(projectId);
    for (const r of reads) {
      const names = r.used === 'all' ? Object.keys(values) : [...r.used];
      const missing = names.filter((n) => !Object.hasOwn(values, n));
      if (missing.length > 0) problems.missing.push({ targetId: r.targetId, names: missing });
      if (r.origin === undefined) continue;
      const origin = r.origin;
      const elsewhere = names
        .filter((n) => Object.hasOwn(origins, n) && !origins[n]!.includes(origin))
        .map((n) => ({ name: n, allowedOrigins: origins[n]! }));
      if (elsewhere.length > 0) problems.misdirected.push({ targetId: r.targetId, origin, secrets: elsewhere });
    }
    return problems;
  };
}
