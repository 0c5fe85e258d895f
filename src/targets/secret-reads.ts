// The secret names an HTTP target's templates read, known before any row is rendered: the
// target uses them to build its redactor, and a run start uses them to refuse a run whose
// secrets are not set (docs/decisions.md, "Missing secrets refuse the start"). Kept apart from
// http.ts so the start-up path can read it without loading the network stack.
import type { HttpTarget } from '../core/model/experiment.js';
import { referencedKeys } from './templates.js';

/** The secret names every url/header/auth template reads, or 'all'. */
export function secretsUsed(spec: HttpTarget): Set<string> | 'all' {
  const templates = [spec.url, ...Object.values(spec.headers ?? {})];
  const auth = spec.auth;
  if (auth?.type === 'bearer') templates.push(auth.token);
  if (auth?.type === 'basic') templates.push(auth.username, auth.password);
  if (auth?.type === 'api_key') templates.push(auth.value);
  const names = new Set<string>();
  for (const template of templates) {
    let keys: string[] | 'all';
    try {
      keys = referencedKeys(template, 'secrets');
    } catch {
      continue; // an invalid template fails at render time with its own message
    }
    if (keys === 'all') return 'all';
    for (const key of keys) names.add(key);
  }
  return names;
}

/**
 * Whether a template reads `secrets` at all, as Liquid sees it: the text alone is not enough,
 * since Liquid decodes escapes in string keys (`{{ ["\u0073ecrets"].X }}` reads secrets.X).
 * A template that does not parse is counted as reading them (it fails at render time anyway).
 */
export function readsSecrets(template: string): boolean {
  if (template.includes('secrets')) return true;
  try {
    const keys = referencedKeys(template, 'secrets');
    return keys === 'all' || keys.length > 0;
  } catch {
    return true;
  }
}
