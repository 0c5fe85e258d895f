// `assay worker`: a cluster process that executes runs taken from the BullMQ queue on REDIS_URL
// against the PostgreSQL database of DATABASE_URL (docs/deployment.md). It serves no project:
// with ASSAY_WORKER_PORT it answers /livez, /healthz, /readyz and /metrics there (its cells, model
// calls and limits are counted only in the process that executes them), and nothing else.
// Without DATABASE_URL and REDIS_URL it stops at once with exit code 2 (config/roles.ts). On
// SIGTERM it stops its runs without ending them; their leases are released and another worker
// continues them.
import { maskCredentials } from '../core/mask-credentials.js';
import type { Server } from 'node:http';
import { type Assay, composeAssay } from '../config/compose.js';
import type { Config } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { unknownVariables } from '../config/unknown-env.js';
import { closeServer, forcedClose, listenEarly, shownHost } from './listen.js';
import { endStartUp } from './ready.js';

export interface RunningWorker {
  assay: Assay;
  /** The probes' port (ASSAY_WORKER_PORT, resolved when it was 0); undefined without it. */
  port: number | undefined;
  /** Graceful stop: the probes close, executions stop (runs stay resumable), then queue and storage close. */
  stop(): Promise<void>;
}

export async function startWorker(config: Config, out: (line: string) => void = console.log): Promise<RunningWorker> {
  const logger = createLogger(config.logLevel);
  for (const line of unknownVariables(process.env)) logger.warn(line);
  // The probes' port first: a port in use (or a HOST that is not this machine's) stops the
  // worker before it takes a run nobody could watch it execute.
  const probes = config.workerPort === undefined ? undefined : await listenEarly(config.workerPort, config.host, 'ASSAY_WORKER_PORT', config.connections, (line) => logger.warn(line));
  let assay: Assay;
  try {
    assay = await composeAssay(config, { logger, command: 'worker' });
    await assay.start();
  } catch (error) {
    await probes?.abandon(error);
    throw error;
  }
  probes?.ready(assay.http.app.fetch);
  const server: Server | undefined = probes?.server;
  const port = probes?.port;
  endStartUp(assay.plan);
  const probeText = port === undefined ? '' : `; /livez, /healthz, /readyz and /metrics on http://${shownHost(config.host)}:${port}`;
  // The Redis and its key prefix named: an API process on another prefix hands this worker
  // nothing, and the two start-up lines side by side show why.
  out(`Assay worker ${assay.processId} taking runs from Redis ${maskCredentials(config.redisUrl ?? '')} (key prefix ${config.redisPrefix}; ${assay.stores.dialect})${probeText}`);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (server) await closeServer(server, config.shutdownTimeoutMs, () => logger.warn(forcedClose(config.shutdownTimeoutMs)));
      await assay.close();
    })();
    return stopping;
  };
  return { assay, port, stop };
}
