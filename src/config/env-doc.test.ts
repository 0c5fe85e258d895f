// Every variable the server validates at start-up is documented where an operator looks: a row
// of README's "Configuration" table, or for OpenTelemetry's own variables, docs/operations.md's
// tracing table. A variable added to config/env.ts without a row fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES } from './env.js';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

/** The variable names in the first column of a Markdown table's rows (`NAME`, `A`, `B` or `A` (or `B`)). */
function documented(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const row of markdown.matchAll(/^\| ([^|]+) \|/gm)) for (const name of row[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(name[1]!);
  return names;
}

/** README's "Configuration" section. */
function configSection(): string {
  const readme = read('README.md');
  const start = readme.indexOf('## Configuration');
  return readme.slice(start, readme.indexOf('\n## ', start + 1));
}

describe('configuration documentation', () => {
  it('has a row for every variable validated at start-up', () => {
    const inReadme = documented(configSection());
    const operations = read('docs/operations.md');
    const missing = ENV_VARIABLES.filter((name) => {
      if (inReadme.has(name)) return false;
      // OpenTelemetry's variables are the SDK's; docs/operations.md describes them together.
      return !(name.startsWith('OTEL_') && operations.includes(name));
    });
    expect(missing).toEqual([]);
    expect(ENV_VARIABLES.length).toBeGreaterThan(30);
  });

  it('documents no variable the server does not read', () => {
    // Prefixes stand for families the server reads by pattern (ASSAY_SECRET_<NAME>, ASSAY_SECRET_ORIGINS_<NAME>).
    const unknown = [...documented(configSection())].filter((name) => !ENV_VARIABLES.includes(name) && !/^ASSAY_SECRET(_ORIGINS)?_$/.test(name));
    expect(unknown).toEqual([]);
  });
});
