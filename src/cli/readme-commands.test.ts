// Every command of the `assay` CLI has a row in README's "Command line" table, where an operator
// looks for it: `assay secrets drop-unreadable` went without one (2026-12-06). A command added
// to cli/main.ts without a row fails here.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerAdminCommands } from './admin-commands.js';
import { registerCompareCommand } from './compare.js';
import { registerDatasetCommands } from './datasets.js';
import { registerDemoCommand } from './demo.js';
import { registerExperimentCommands } from './experiments.js';
import { registerListCommands } from './list-commands.js';
import { registerPushCommand } from './push.js';
import { registerRunCommand } from './run.js';
import { registerRunCommands } from './run-commands.js';
import { registerSecretsCommands } from './secrets-commands.js';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

const REGISTERED = {
  registerAdminCommands, registerSecretsCommands, registerPushCommand, registerDatasetCommands, registerExperimentCommands, registerListCommands,
  registerRunCommand, registerRunCommands, registerCompareCommand, registerDemoCommand,
};

/** Every leaf command as words (`['datasets', 'upload']`): main.ts's own and its register functions'. */
function commands(): string[][] {
  const main = read('src/cli/main.ts');
  const program = new Command('assay');
  for (const register of Object.values(REGISTERED)) register(program);
  const out = [...main.matchAll(/^ {2}\.command\('([a-z-]+)'\)/gm)].map((m) => [m[1]!]);
  const walk = (c: Command, path: string[]): void => {
    if (c.commands.length === 0) out.push(path);
    for (const sub of c.commands) walk(sub, [...path, sub.name()]);
  };
  for (const c of program.commands) walk(c, [c.name()]);
  return out;
}

/** README's "Command line" table rows. */
function rows(): string[] {
  const readme = read('README.md');
  const start = readme.indexOf('## Command line');
  return readme.slice(start, readme.indexOf('\n## ', start + 1)).split('\n').filter((l) => l.startsWith('| `assay '));
}

describe('README command table', () => {
  it('builds the program as main.ts does', () => {
    const called = [...read('src/cli/main.ts').matchAll(/^(register\w+)\(program\);$/gm)].map((m) => m[1]!);
    expect(called.sort()).toEqual(Object.keys(REGISTERED).sort());
  });

  it('has a row for every command', () => {
    const table = rows();
    const all = commands();
    // A row names a command whole (`assay keys revoke`), or a group's subcommands after a
    // dot (`assay datasets list` · `upload FILE`).
    const missing = all.filter(([group, ...rest]) =>
      !table.some((row) => {
        if (rest.length === 0) return new RegExp(`\\| \`assay ${group}[\` ]`).test(row);
        return row.includes(`\`assay ${group} ${rest.join(' ')}`) || (row.includes(`\`assay ${group} `) && row.includes(`· \`${rest.join(' ')}`));
      }),
    );
    expect(missing).toEqual([]);
    expect(all.map((c) => c.join(' '))).toEqual(expect.arrayContaining(['serve', 'worker', 'secrets drop-unreadable', 'datasets upload']));
  });
});
