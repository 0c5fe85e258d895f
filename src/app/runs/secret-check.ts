// A run whose HTTP targets read secrets the project has not set is refused at its start (and
// its estimate, which checks what a start checks): otherwise every cell of those targets fails
// with "secret X is not set" after the other targets have spent money, and a CI job learns it
// from a failed run minutes later. docs/decisions.md, "Missing secrets refuse the start".
import { type Issue, ValidationError } from '../../core/errors.js';
import type { Target } from '../../core/model/experiment.js';

/** The secret names each target reads that the project cannot resolve; targets with none left out. */
export type MissingSecrets = (projectId: string, targets: readonly Target[]) => Promise<{ targetId: string; names: string[] }[]>;

export async function checkSecretsSet(missingSecrets: MissingSecrets | undefined, projectId: string, targets: readonly Target[]): Promise<void> {
  if (!missingSecrets) return;
  const missing = await missingSecrets(projectId, targets);
  if (missing.length === 0) return;
  const names = [...new Set(missing.flatMap((m) => m.names))];
  const reads = missing.map((m) => `target "${m.targetId}" reads ${m.names.map((n) => `{{secrets.${n}}}`).join(', ')}`).join('; ');
  const set = names.map((n) => `PUT /api/secrets/${n}`).join(', ');
  const issues: Issue[] = missing.flatMap((m) => m.names.map((n) => ({ path: ['secrets', n], message: `not set (read by target "${m.targetId}")` })));
  throw new ValidationError(`${names.length === 1 ? 'A secret is' : 'Secrets are'} not set in this project: ${reads}. Set ${names.length === 1 ? 'it' : 'them'} with ${set} {"value": "…"}, then start the run again`, issues);
}
