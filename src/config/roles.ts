// What a process does, from its command (`serve` or `worker`), ASSAY_ROLE and the storage it
// is given (docs/deployment.md). Combinations that cannot work stop start-up with a
// ConfigError naming what is missing (exit code 2), before anything is opened.
import { ConfigError, type Config } from './env.js';

/** The command that starts the process. */
export type Command = 'serve' | 'worker';

/**
 * How this process is wired:
 * - `embedded`: no REDIS_URL; runs execute in the process that started them (SQLite or
 *   PostgreSQL with leases), exactly as before cluster mode.
 * - `cluster`: PostgreSQL and Redis; runs go through the BullMQ queue, events through Redis
 *   pub/sub. `serves` = answers HTTP, `executes` = takes runs from the queue.
 */
export type ProcessPlan =
  | { mode: 'embedded' }
  | { mode: 'cluster'; role: 'api' | 'worker' | 'all'; serves: boolean; executes: boolean; redisUrl: string };

/** Decides the plan, or throws a ConfigError whose lines each name the missing or conflicting setting. */
export function planProcess(config: Pick<Config, 'databaseUrl' | 'redisUrl' | 'role'> & Partial<Pick<Config, 'workerConcurrency' | 'workerPort'>>, command: Command): ProcessPlan {
  const problems: string[] = [];
  const role = config.role ?? (command === 'worker' ? 'worker' : 'all');
  if (command === 'worker') {
    if (config.role !== undefined && config.role !== 'worker') problems.push(`ASSAY_ROLE=${config.role}: \`assay worker\` only runs as worker; start \`assay serve\` for the api or all roles`);
    if (config.databaseUrl === undefined) problems.push('DATABASE_URL is not set: `assay worker` needs the PostgreSQL database (postgres://…) that the API processes use; SQLite is for the embedded server only');
    if (config.redisUrl === undefined) problems.push('REDIS_URL is not set: `assay worker` takes runs from the BullMQ queue on that Redis (redis://host:6379)');
  } else {
    if (role === 'worker') problems.push('ASSAY_ROLE=worker: `assay serve` runs as api or all; start `assay worker` for a worker');
    if (config.redisUrl !== undefined && config.databaseUrl === undefined) {
      problems.push('REDIS_URL is set but the database is SQLite: cluster mode needs DATABASE_URL=postgres://… shared by every process (unset REDIS_URL for the embedded server)');
    }
    if (role === 'api' && config.redisUrl === undefined) problems.push('ASSAY_ROLE=api executes no run, so it needs REDIS_URL (the queue workers take runs from) and DATABASE_URL (PostgreSQL)');
    if (role === 'api' && config.workerConcurrency !== undefined) problems.push('ASSAY_WORKER_CONCURRENCY is set but ASSAY_ROLE=api executes no cell: set it on the workers');
    if (config.workerPort !== undefined) problems.push('ASSAY_WORKER_PORT is set but `assay serve` answers HTTP on PORT (its /livez, /healthz, /readyz and /metrics too): ASSAY_WORKER_PORT is for `assay worker`');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (config.redisUrl === undefined) return { mode: 'embedded' };
  return { mode: 'cluster', role, serves: role !== 'worker', executes: role !== 'api', redisUrl: config.redisUrl };
}
