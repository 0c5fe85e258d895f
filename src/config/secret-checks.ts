// Which secrets a run's HTTP targets read that the project cannot resolve (neither stored nor,
// for projects allowed the server's credentials, ASSAY_SECRET_*): a run start refuses them
// before any cell runs. Glue between the run service and the target adapters' template
// analysis, which the app layer may not import.
import type { Target } from '../core/model/experiment.js';
import type { SecretsProvider } from '../core/ports.js';
import type { MissingSecrets } from '../app/runs/secret-check.js';
import { secretsUsed } from '../targets/secret-reads.js';

export function missingSecretsOf(secrets: SecretsProvider): MissingSecrets {
  return async (projectId: string, targets: readonly Target[]) => {
    const reads: { targetId: string; names: string[] }[] = [];
    for (const target of targets) {
      if (target.type !== 'http') continue;
      const used = secretsUsed(target);
      // A template that reads `secrets` as a whole names none ahead of time: nothing to check.
      if (used !== 'all' && used.size > 0) reads.push({ targetId: target.id, names: [...used] });
    }
    if (reads.length === 0) return [];
    // Decrypting the project's secrets is the cost of a start that needs them, never of one that does not.
    const { values } = await secrets.secretsFor(projectId);
    return reads.map((r) => ({ targetId: r.targetId, names: r.names.filter((n) => !Object.hasOwn(values, n)) })).filter((r) => r.names.length > 0);
  };
}
