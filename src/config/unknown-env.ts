// ASSAY_* variables Assay does not read, named at start-up. `ASSAY_MAX_ROW=5` or
// `ASSAY_ADMIN_TOKN=…` started a server with the default limit and no admin API, without a word.
// They are warned about, not refused: a shell or CI environment often carries variables meant
// for another Assay command (the CLI's ASSAY_ENDPOINT beside a server) or another version.
import { distance } from 'fastest-levenshtein';
import { SETTING_NAMES } from './env.js';

/** Read by every CLI command that talks to a server (src/cli/connection.ts), not by a server. */
const CLIENT_VARIABLES = ['ASSAY_ENDPOINT', 'ASSAY_REQUEST_TIMEOUT'];
/** Read outside the settings: fault injection in tests, the source build switch of bin/assay.js. */
const OTHER_VARIABLES = ['ASSAY_FAILPOINTS', 'ASSAY_FROM_SOURCE'];
/** Families: `{{secrets.NAME}}` values and their origins (ASSAY_SECRET_*), the test suites' own. */
const PREFIXES = ['ASSAY_SECRET_', 'ASSAY_TEST_'];

/** One line per ASSAY_* variable of `env` that nothing reads, with the closest name Assay reads. */
export function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  const known = [...SETTING_NAMES.filter((n) => n.startsWith('ASSAY_')), ...CLIENT_VARIABLES, ...OTHER_VARIABLES];
  const lines: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('ASSAY_') || known.includes(name) || PREFIXES.some((p) => name.startsWith(p))) continue;
    const near = known.map((k) => ({ k, d: distance(name, k) })).sort((x, y) => x.d - y.d)[0];
    const hint = near && near.d <= 3 ? ` (did you mean ${near.k}?)` : '';
    lines.push(`${name.slice(0, 80)} is not a setting Assay reads${hint}; it is ignored`);
  }
  return lines;
}
