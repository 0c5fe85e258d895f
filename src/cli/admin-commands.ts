// Local administration against the configured database: migrate, create and list projects,
// create, list and revoke keys. A key is printed once, at creation, beside its id (what revoking
// takes). Only `migrate` and `projects create` may make a new SQLite database: the others, run
// outside the server's folder, would otherwise make an empty one there and report nothing found.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ProjectService, type ProjectSummary } from '../app/projects.js';
import { type Config, loadConfig } from '../config/env.js';
import { createPrivateFile, databaseFailure, makeDataDir, SQLITE_FILE, sqlitePath } from '../config/storage.js';
import { isAssayError, ProjectExistsError } from '../core/errors.js';
import { maskCredentials } from '../core/mask-credentials.js';
import type { ApiKeyRecord, Project } from '../core/model/records.js';
import { systemClock } from '../core/ports.js';
import { openDb } from '../storage/connect.js';
import { migrateToLatest, openStores } from '../storage/index.js';
import { CliError } from './cli-error.js';
import { guardOutput } from './output.js';
import { terminalText } from './terminal-text.js';

/** Lines on stdout; a reader that left (`| true`) must not turn a done command into an EPIPE crash. */
const say = (line: string) => guardOutput(process.stdout).write(`${line}\n`);

/**
 * Readies the configured database's place: with `create`, the data directory and a new SQLite
 * file readable by its owner only (as `assay serve` makes them); without, a SQLite database that
 * is not there is refused (exit 2), nothing created, and so is an ASSAY_DB_SCHEMA that holds no
 * Assay database. Otherwise PostgreSQL is left to the connection.
 */
async function prepareDatabase(config: Config, create: boolean): Promise<void> {
  if (config.databaseUrl !== undefined) {
    if (!create && config.dbSchema !== undefined) await requireSchema(config.databaseUrl, config.dbSchema);
    return;
  }
  const file = sqlitePath(config.dataDir);
  if (create) {
    await makeDataDir(config.dataDir);
    await createPrivateFile(file);
    return;
  }
  if (existsSync(file)) return;
  const setting = process.env.ASSAY_DATA_DIR?.trim() ? `ASSAY_DATA_DIR=${process.env.ASSAY_DATA_DIR}` : 'ASSAY_DATA_DIR unset, so ./.assay';
  throw new CliError(`no Assay database at ${file} (${setting}): run this in the server's directory or set ASSAY_DATA_DIR / DATABASE_URL`);
}

/**
 * Refuses a named PostgreSQL schema without Assay's tables. Opening the stores makes the schema
 * and migrates it, so a misspelt ASSAY_DB_SCHEMA used to leave a new empty schema behind and
 * answer "No project \"default\"" or "No projects yet" as if the server's database were empty.
 */
async function requireSchema(databaseUrl: string, schema: string): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: databaseUrl });
  let found: boolean;
  try {
    await client.connect();
    const res = await client.query("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'kysely_migration'", [schema]);
    found = res.rowCount !== null && res.rowCount > 0;
  } catch (error) {
    throw databaseFailure(databaseUrl, error);
  } finally {
    await client.end().catch(() => {});
  }
  if (!found) {
    throw new CliError(`no Assay database in schema "${schema}" (ASSAY_DB_SCHEMA) of DATABASE_URL=${maskCredentials(databaseUrl)}: set ASSAY_DB_SCHEMA to the server's, or run \`assay migrate\` to make one there`);
  }
}

/** The configured database's stores, opened for `fn` (creating the database only when `create`). */
export async function withProjects<T>(create: boolean, fn: (projects: ProjectService, stores: Awaited<ReturnType<typeof openStores>>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  await prepareDatabase(config, create);
  const stores = await openStores({ databaseUrl: config.databaseUrl, schema: config.dbSchema, dataDir: config.dataDir, sqliteFile: SQLITE_FILE }).catch((error: unknown) => {
    throw databaseFailure(config.databaseUrl, error);
  });
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
      await prepareDatabase(config, true);
      const { db, dialect } = await openDb({ databaseUrl: config.databaseUrl, schema: config.dbSchema, dataDir: config.dataDir, sqliteFile: SQLITE_FILE }).catch((error: unknown) => {
        throw databaseFailure(config.databaseUrl, error);
      });
      try {
        const report = await migrateToLatest(db, dialect === 'postgres' ? config.dbSchema : undefined).catch((error: unknown) => {
          throw databaseFailure(config.databaseUrl, error);
        });
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
    .option('--if-not-exists', 'when a project already holds the slug, print it and exit 0 instead of refusing (exit 2); no key is printed then')
    .description('Create a project and print its first API key (shown once); a slug already taken is refused, naming its project')
    .action(async (name: string, opts: { slug?: string; ifNotExists?: boolean }) => {
      if (name.trim() === '') throw new CliError('A project needs a name (got an empty one)');
      await withProjects(true, async (service) => {
        let created;
        try {
          created = await service.createProject(name, opts.slug);
        } catch (error) {
          if (!(error instanceof ProjectExistsError)) throw error;
          const { slug, id } = error.existing;
          if (opts.ifNotExists) {
            say(`Project ${slug} (${id}) already exists: nothing created. Its keys are not shown again; \`assay keys create --project ${slug}\` makes another.`);
            return;
          }
          throw new CliError(`A project with the slug "${slug}" already exists: ${id}, named "${terminalText(error.existing.name, 200)}". Pick another name or --slug, or pass --if-not-exists to accept the existing one`);
        }
        const { project, key } = created;
        say(`Project ${project.slug} (${project.id}) created.`);
        say(`API key ${key.id} (shown once): ${key.apiKey}`);
      });
    });

  projects
    .command('list')
    .description('List every project: slug, id, creation time, key counts and name (never a key)')
    .action(async () => {
      await withProjects(false, async (service) => {
        const rows: string[][] = [];
        for (let page = 1; ; page++) {
          const { items, total } = await service.listProjects({ page, pageSize: 200 });
          rows.push(...items.map(projectColumns));
          if (items.length === 0 || rows.length >= total) break;
        }
        const lines = aligned(rows);
        if (lines.length === 0) {
          say('No projects yet: `assay projects create NAME` makes one (so does the first `assay serve`).');
          return;
        }
        say(`${lines.length} ${lines.length === 1 ? 'project' : 'projects'}:`);
        for (const line of lines) say(`  ${line}`);
      });
    });

  const keys = program.command('keys').description('Manage API keys');
  keys
    .command('create')
    .requiredOption('--project <slug>', 'project slug or id')
    .description('Create an API key for a project (shown once, beside its id)')
    .action(async (opts: { project: string }) => {
      await withProjects(false, async (service) => {
        const project = await findProject(service, opts.project);
        const key = await service.createKey(project.id);
        say(`API key ${key.id} for ${project.slug} (shown once): ${key.apiKey}`);
      });
    });

  keys
    .command('list')
    .requiredOption('--project <slug>', 'project slug or id')
    .description("List a project's API keys: id, prefix, created and revoked times (never the keys themselves)")
    .action(async (opts: { project: string }) => {
      await withProjects(false, async (service) => {
        const project = await findProject(service, opts.project);
        const lines: string[] = [];
        for (let page = 1; ; page++) {
          const { items, total } = await service.listKeys(project.id, { page, pageSize: 200 });
          lines.push(...items.map(keyLine));
          if (items.length === 0 || lines.length >= total) break;
        }
        if (lines.length === 0) {
          say(`Project ${project.slug} has no API keys.`);
          return;
        }
        say(`API keys of project ${project.slug} (${project.id}):`);
        for (const line of lines) say(`  ${line}`);
      });
    });

  keys
    .command('revoke')
    .argument('<key-id>', "the key's id (key_…), as `assay keys list` shows it; never the key itself")
    .description('Revoke an API key by its id: requests with it are refused from then on')
    .action(async (keyId: string) => {
      await withProjects(false, async (service, stores) => {
        const { key, alreadyRevoked } = await service.revokeKey(keyId);
        const project = await stores.projects.get(key.projectId);
        const which = `API key ${key.id} (${key.prefix}) of project ${project?.slug ?? key.projectId}`;
        say(alreadyRevoked ? `${which} was already revoked at ${isoTime(key.revokedAt!)}.` : `${which} revoked.`);
      });
    });
}

/** The project named by `--project`, or exit 2 saying there is none. */
async function findProject(service: ProjectService, idOrSlug: string): Promise<Project> {
  return service.resolveProject(idOrSlug).catch((error: unknown) => {
    // The value is quoted: a key (`sk-lw-…`) was refused before this, without being quoted.
    throw isAssayError(error) && error.code === 'project_not_found' ? new CliError(`No project "${idOrSlug}"`) : error;
  });
}

const isoTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** One project of `assay projects list`: slug, id, created, keys, and the name last (it may hold spaces). */
function projectColumns(p: ProjectSummary): string[] {
  const keys = `${p.keyCount} ${p.keyCount === 1 ? 'key' : 'keys'} (${p.activeKeyCount} active)`;
  return [terminalText(p.slug, 200), p.id, `created ${isoTime(p.createdAt)}`, keys, terminalText(p.name, 200)];
}

/** Rows of columns as lines, each column but the last padded to its widest cell, two spaces apart. */
function aligned(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}

/** One key of `assay keys list`: id, prefix, created, and revoked time or "active". */
function keyLine(k: ApiKeyRecord): string {
  return `${k.id}  ${k.prefix}  created ${isoTime(k.createdAt)}  ${k.revokedAt === null ? 'active' : `revoked ${isoTime(k.revokedAt)}`}`;
}
