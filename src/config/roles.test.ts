import { describe, expect, it } from 'vitest';
import { ConfigError } from './env.js';
import { planProcess } from './roles.js';

const PG = 'postgres://db/assay';
const REDIS = 'redis://127.0.0.1:6379';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('planProcess', () => {
  it('keeps the embedded server when REDIS_URL is unset (SQLite or PostgreSQL)', () => {
    expect(planProcess({ databaseUrl: undefined, redisUrl: undefined, role: undefined }, 'serve')).toEqual({ mode: 'embedded' });
    expect(planProcess({ databaseUrl: PG, redisUrl: undefined, role: 'all' }, 'serve')).toEqual({ mode: 'embedded' });
  });

  it('serve defaults to role all in a cluster; api executes nothing', () => {
    expect(planProcess({ databaseUrl: PG, redisUrl: REDIS, role: undefined }, 'serve')).toEqual({ mode: 'cluster', role: 'all', serves: true, executes: true, redisUrl: REDIS });
    expect(planProcess({ databaseUrl: PG, redisUrl: REDIS, role: 'api' }, 'serve')).toMatchObject({ role: 'api', serves: true, executes: false });
  });

  it('worker executes and serves nothing', () => {
    expect(planProcess({ databaseUrl: PG, redisUrl: REDIS, role: undefined }, 'worker')).toMatchObject({ role: 'worker', serves: false, executes: true });
  });

  it('names each missing setting of a worker', () => {
    const p = problems(() => planProcess({ databaseUrl: undefined, redisUrl: undefined, role: undefined }, 'worker'));
    expect(p).toHaveLength(2);
    expect(p[0]).toMatch(/^DATABASE_URL is not set/);
    expect(p[1]).toMatch(/^REDIS_URL is not set/);
    expect(problems(() => planProcess({ databaseUrl: PG, redisUrl: undefined, role: undefined }, 'worker'))).toEqual([expect.stringMatching(/^REDIS_URL is not set/)]);
    expect(problems(() => planProcess({ databaseUrl: undefined, redisUrl: REDIS, role: undefined }, 'worker'))).toEqual([expect.stringMatching(/^DATABASE_URL is not set/)]);
  });

  it('refuses Redis with SQLite, api without Redis, and roles that do not fit the command', () => {
    expect(problems(() => planProcess({ databaseUrl: undefined, redisUrl: REDIS, role: undefined }, 'serve'))).toEqual([expect.stringMatching(/REDIS_URL is set but the database is SQLite/)]);
    expect(problems(() => planProcess({ databaseUrl: PG, redisUrl: undefined, role: 'api' }, 'serve'))).toEqual([expect.stringMatching(/ASSAY_ROLE=api executes no run/)]);
    expect(problems(() => planProcess({ databaseUrl: PG, redisUrl: REDIS, role: 'worker' }, 'serve'))).toEqual([expect.stringMatching(/ASSAY_ROLE=worker: `assay serve` runs as api or all/)]);
    expect(problems(() => planProcess({ databaseUrl: PG, redisUrl: REDIS, role: 'api' }, 'worker'))).toEqual([expect.stringMatching(/ASSAY_ROLE=api: `assay worker` only runs as worker/)]);
    expect(problems(() => planProcess({ databaseUrl: PG, redisUrl: REDIS, role: 'api', workerConcurrency: 50 }, 'serve'))).toEqual([expect.stringMatching(/ASSAY_WORKER_CONCURRENCY is set but ASSAY_ROLE=api executes no cell/)]);
    expect(planProcess({ databaseUrl: PG, redisUrl: REDIS, role: undefined, workerConcurrency: 50 }, 'worker')).toMatchObject({ role: 'worker' });
    // The worker's probe port is the worker's: on `serve` (any role, embedded too) it would be ignored.
    for (const redisUrl of [REDIS, undefined]) {
      expect(problems(() => planProcess({ databaseUrl: PG, redisUrl, role: undefined, workerPort: 9100 }, 'serve'))).toEqual([expect.stringMatching(/ASSAY_WORKER_PORT is set but `assay serve` answers HTTP on PORT/)]);
    }
    expect(planProcess({ databaseUrl: PG, redisUrl: REDIS, role: undefined, workerPort: 9100 }, 'worker')).toMatchObject({ role: 'worker' });
  });
});
