// `assay worker`: a cluster process that executes runs taken from the BullMQ queue on REDIS_URL
// against the PostgreSQL database of DATABASE_URL, and answers no HTTP (docs/deployment.md).
// Without both it stops at once with exit code 2 (config/roles.ts). On SIGTERM it stops its
// runs without ending them; their leases are released and another worker continues them.
import { type Assay, composeAssay } from '../config/compose.js';
import type { Config } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { endStartUp } from './ready.js';

export interface RunningWorker {
  assay: Assay;
  /** Graceful stop: executions stop (runs stay resumable), then queue and storage close. */
  stop(): Promise<void>;
}

export async function startWorker(config: Config, out: (line: string) => void = console.log): Promise<RunningWorker> {
  const logger = createLogger(config.logLevel);
  const assay = await composeAssay(config, { logger, command: 'worker' });
  await assay.start();
  endStartUp(assay.plan);
  out(`Assay worker ${assay.processId} taking runs from Redis (${assay.stores.dialect})`);
  let stopping: Promise<void> | undefined;
  return { assay, stop: () => (stopping ??= assay.close()) };
}
