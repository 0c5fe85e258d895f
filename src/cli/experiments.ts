// `assay experiments archive SLUG`: archives a saved experiment over the API (DELETE
// /api/experiments/{slug}), as a dataset that an experiment runs needs before it can be deleted
// (the 409 of `assay datasets delete` names this command). Its runs stay readable by run id.
import type { Command } from 'commander';
import { connect } from './connection.js';
import { asSlugError } from './experiment-hint.js';
import { guardOutput } from './output.js';

interface ConnectOptions {
  endpoint?: string;
  apiKey?: string;
}

export function registerExperimentCommands(program: Command): void {
  const experiments = program.command('experiments').description('Saved experiments: list, archive (create and update with `assay push FILE`)');

  experiments
    .command('archive')
    .argument('<slug>', "the experiment's slug")
    .option('--endpoint <url>', 'Assay server (default $ASSAY_ENDPOINT, $LANGWATCH_ENDPOINT or http://localhost:5560)')
    .option('--api-key <key>', 'project API key (default $ASSAY_API_KEY or $LANGWATCH_API_KEY)')
    .description('Archive an experiment: it leaves lists, its slug answers 404 and is free again, its runs stay readable by run id, and the datasets it ran can be deleted')
    .action(async (slug: string, opts: ConnectOptions) => {
      const output = guardOutput(process.stdout);
      const client = connect(opts);
      try {
        await client.request('DELETE', `/api/experiments/${encodeURIComponent(slug)}`);
      } catch (error) {
        throw await asSlugError(error, client, slug);
      }
      output.write(`Archived experiment ${slug}: its runs stay readable by run id (assay watch RUN_ID, assay export RUN_ID)\n`);
    });
}
