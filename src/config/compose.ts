// The composition root: the one place that knows every concrete class and wires adapters to
// the ports the app layer needs.
import { DatasetService } from '../app/datasets.js';
import { ExperimentService } from '../app/experiments.js';
import { ProjectService } from '../app/projects.js';
import { type Clock, type Logger, silentLogger, type Stores, systemClock } from '../core/ports.js';
import { createHttpApp, type HttpApp } from '../http/app.js';
import { openStores } from '../storage/index.js';
import type { Config } from './env.js';
import { VERSION } from './version.js';

export interface Assay {
  config: Config;
  stores: Stores & { dialect: 'sqlite' | 'postgres' };
  projects: ProjectService;
  experiments: ExperimentService;
  datasets: DatasetService;
  http: HttpApp;
  logger: Logger;
  /** Stops background work and closes storage. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  logger?: Logger;
  clock?: Clock;
}

export async function composeAssay(config: Config, options: ComposeOptions = {}): Promise<Assay> {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const stores = await openStores({ databaseUrl: config.databaseUrl, schema: config.dbSchema, dataDir: config.dataDir });
  const projects = new ProjectService(stores, clock);
  const experiments = new ExperimentService(stores, clock);
  const datasets = new DatasetService(stores, clock);
  const http = createHttpApp({
    projects, experiments, datasets, logger,
    ping: () => stores.ping(),
    adminToken: config.adminToken,
    maxBodyBytes: config.maxBodyBytes,
    version: VERSION,
  });
  return {
    config, stores, projects, experiments, datasets, http, logger,
    close: () => stores.close(),
  };
}
