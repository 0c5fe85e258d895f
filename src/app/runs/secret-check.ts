// A run whose HTTP targets read secrets the project has not set is refused at its start (and
// its estimate, which checks what a start checks): otherwise every cell of those targets fails
// with "secret X is not set" after the other targets have spent money, and a CI job learns it
// from a failed run minutes later. docs/decisions.md, "Missing secrets refuse the start".
// So is a target whose URL has a fixed origin (no template in its scheme and authority) and that
// reads a secret bound to other origins (`allowedOrigins`): each call would fail its cell before
// sending anything. A URL whose origin is templated can differ per row, and stays checked call by
// call only. docs/decisions.md, "Secrets bound elsewhere refuse the start".
import { type Issue, ValidationError } from '../../core/errors.js';
import type { Target } from '../../core/model/experiment.js';

/** What a run's targets read of the project's secrets that no call could use; targets without a problem left out. */
export interface SecretProblems {
  /** The secret names each target reads that the project cannot resolve. */
  missing: { targetId: string; names: string[] }[];
  /** Secrets a target with a fixed URL origin reads whose allowed origins exclude that origin. */
  misdirected: { targetId: string; origin: string; secrets: { name: string; allowedOrigins: readonly string[] }[] }[];
}

/** Finds the problems of the targets in a project (src/config/secret-checks.ts, injected: the app does not load adapters). */
export type SecretProblemsOf = (projectId: string, targets: readonly Target[]) => Promise<SecretProblems>;

/** Throws a 400 for the first kind of problem found: secrets not set, then secrets bound elsewhere. Values are never named. */
export async function checkSecrets(problemsOf: SecretProblemsOf | undefined, projectId: string, targets: readonly { target: Target; index: number }[]): Promise<void> {
  if (!problemsOf || targets.length === 0) return;
  const { missing, misdirected } = await problemsOf(projectId, targets.map((t) => t.target));
  if (missing.length > 0) throw notSet(missing);
  if (misdirected.length > 0) throw boundElsewhere(misdirected, targets);
}

function notSet(missing: SecretProblems['missing']): ValidationError {
  const names = [...new Set(missing.flatMap((m) => m.names))];
  const reads = missing.map((m) => `target "${m.targetId}" reads ${m.names.map((n) => `{{secrets.${n}}}`).join(', ')}`).join('; ');
  const set = names.map((n) => `PUT /api/secrets/${n}`).join(', ');
  const issues: Issue[] = missing.flatMap((m) => m.names.map((n) => ({ path: ['secrets', n], message: `not set (read by target "${m.targetId}")` })));
  return new ValidationError(`${names.length === 1 ? 'A secret is' : 'Secrets are'} not set in this project: ${reads}. Set ${names.length === 1 ? 'it' : 'them'} with ${set} {"value": "…"}, then start the run again`, issues);
}

function boundElsewhere(misdirected: SecretProblems['misdirected'], targets: readonly { target: Target; index: number }[]): ValidationError {
  const indexOf = new Map(targets.map((t) => [t.target.id, t.index]));
  const sends: string[] = [];
  const issues: Issue[] = [];
  for (const m of misdirected) {
    for (const s of m.secrets) {
      sends.push(`target "${m.targetId}" sends {{secrets.${s.name}}} to ${m.origin}, but the secret may only be sent to ${s.allowedOrigins.join(', ')}`);
      issues.push({ path: ['targets', indexOf.get(m.targetId) ?? m.targetId, 'url'], message: `sends secret "${s.name}" to ${m.origin}, outside its allowed origins (${s.allowedOrigins.join(', ')})` });
    }
  }
  const one = sends.length === 1;
  return new ValidationError(
    `${one ? 'A secret would be sent outside its allowed origins' : 'Secrets would be sent outside their allowed origins'}: ${sends.join('; ')}. Each call would fail before sending anything: point the target's url at an allowed origin, or add that origin to the secret's allowedOrigins, then start the run again`,
    issues,
  );
}
