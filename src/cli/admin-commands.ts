// Local administration against the configured database: migrate, create projects and keys.
import type { Command } from 'commander';
import { ProjectService } from '../app/projects.js';
import { loadConfig } from '../config/env.js';
import { isAssayError, SlugTakenError } from '../core/errors.js';
import { systemClock } from '../core/ports.js';
import { openDb } from '../storage/connect.js';
import { migrateToLatest, openStores } from '../storage/index.js';
import { CliError } from './cli-error.js';
import { guardOutput } from './output.js';

/** Lines on stdout; a reader that left (`| true`) must not turn a done command into an EPIPE crash. */
const say = (line: string) => guardOutput(process.stdout).write(`${line}\n`);

async function withProjects<T>(fn: (projects: ProjectService, stores: Awaited<ReturnType<typeof openStores>>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const stores = await openStores({ databaseUrl: config.databaseUrl, schema: config.dbSchema, dataDir: config.dataDir });
  try {
    return await fn(new ProjectService(stores, systemClock), stores);
  } catch (error) {
    if (isAssayError(error)) throw new CliError(error.message);
    throw error;
  } finally {
    await stores.close();
  }
}

export function registerAdminCommands(program: Command): void {
  program
    .command('migrate')
    .description('Apply database migrations and exit')
    .action(async () => {
      const config = loadConfig();
      const { db, dialect } = await openDb({ databaseUrl: config.databaseUrl, schema: config.dbSchema, dataDir: config.dataDir });
      try {
        const report = await migrateToLatest(db, dialect === 'postgres' ? config.dbSchema : undefined);
        say(report.applied.length > 0 ? `Applied: ${report.applied.join(', ')}` : 'Database is up to date');
      } finally {
        await db.destroy();
      }
    });

  const projects = program.command('projects').description('Manage projects');
  projects
    .command('create')
    .argument('<name>', 'display name')
    .option('--slug <slug>', 'project slug (derived from the name when absent)')
    .description('Create a project and print its first API key (shown once)')
    .action(async (name: string, opts: { slug?: string }) => {
      if (name.trim() === '') throw new CliError('A project needs a name (got an empty one)');
      await withProjects(async (service) => {
        const { project, key } = await service.createProject(name, opts.slug).catch((error: unknown) => {
          // The store's error speaks of a slug taken "in this project", right for experiments; a project's slug is server-wide.
          throw error instanceof SlugTakenError ? new CliError(`A project with the slug "${error.slug}" already exists`) : error;
        });
        say(`Project ${project.slug} (${project.id}) created.`);
        say(`API key (shown once): ${key.apiKey}`);
      });
    });

  const keys = program.command('keys').description('Manage API keys');
  keys
    .command('create')
    .requiredOption('--project <slug>', 'project slug or id')
    .description('Create an API key for a project (shown once)')
    .action(async (opts: { project: string }) => {
      await withProjects(async (service, stores) => {
        const project = (await stores.projects.getBySlug(opts.project)) ?? (await stores.projects.get(opts.project));
        if (!project) throw new CliError(`No project "${opts.project}"`);
        const key = await service.createKey(project.id);
        say(`API key ${key.id} for ${project.slug} (shown once): ${key.apiKey}`);
      });
    });
}
