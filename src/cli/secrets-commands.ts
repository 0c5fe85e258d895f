// `assay secrets drop-unreadable`: the way out when the secret key is lost for good. Start-up
// refuses to make a new key beside sealed values, or to use one that opens none of them
// (config/key-check.ts); this lists the values the configured key (or, with none, no key) does
// not open, and with --yes deletes them, so the next start can go on and they can be stored
// again. A command rather than a setting: a flag left in a deployment's environment would drop
// values again at the next lost key, without anyone reading what goes.
import type { Command } from 'commander';
import { describeSealed, unreadableValues } from '../app/sealed-values.js';
import { findSecretKey, secretKeyFile } from '../config/secret-key.js';
import { loadConfig } from '../config/env.js';
import { AesGcmCipher } from '../storage/index.js';
import { withProjects } from './admin-commands.js';
import { guardOutput } from './output.js';

const say = (line: string) => guardOutput(process.stdout).write(`${line}\n`);

export function registerSecretsCommands(program: Command): void {
  const secrets = program.command('secrets').description('Sealed values in the database (secrets, provider keys, webhook signing secrets)');
  secrets
    .command('drop-unreadable')
    .option('--yes', 'delete them (without it, only lists them)')
    .description('List the sealed values the secret key does not open (all, when there is no key); --yes deletes them')
    .action(async (opts: { yes?: boolean }) => {
      const config = loadConfig();
      await withProjects(false, async (_service, stores) => {
        const key = await findSecretKey({ secretKey: config.secretKey, dataDir: config.dataDir });
        const keyName = key === null
          ? `no key (ASSAY_SECRET_KEY is not set and there is no key file at ${secretKeyFile(config.dataDir)})`
          : key.source === 'env' ? 'ASSAY_SECRET_KEY' : `the key file ${key.file}`;
        const { total, unreadable } = await unreadableValues(stores.sealed, key === null ? null : new AesGcmCipher(key.key));
        if (unreadable.length === 0) {
          say(`All ${total} sealed value${total === 1 ? '' : 's'} open with ${keyName}: nothing to drop.`);
          return;
        }
        const slugs = new Map<string, string>();
        for (const v of unreadable) {
          if (!slugs.has(v.projectId)) slugs.set(v.projectId, (await stores.projects.get(v.projectId))?.slug ?? '?');
        }
        say(`${unreadable.length} of ${total} sealed values do not open with ${keyName}:`);
        for (const v of unreadable) say(`  project ${slugs.get(v.projectId)} (${v.projectId}): ${describeSealed(v)}`);
        if (!opts.yes) {
          say('Nothing was deleted. If the key they were sealed with is lost for good, run this again with --yes to delete them.');
          return;
        }
        let dropped = 0;
        for (const v of unreadable) if (await stores.sealed.drop(v)) dropped++;
        const kept = unreadable.length - dropped;
        say(`Deleted ${dropped}${kept > 0 ? ` (${kept} stored again meanwhile were kept)` : ''}. Store the secrets and provider keys again (PUT /api/secrets/NAME, PUT /api/providers/NAME); a project's webhook signing secret is made anew at its next delivery: read it once (GET /api/webhooks/secret) and give it to the receivers.`);
        if (key === null) say(`The next start generates a new key file at ${secretKeyFile(config.dataDir)} (or set ASSAY_SECRET_KEY first); back it up.`);
      });
    });
}
