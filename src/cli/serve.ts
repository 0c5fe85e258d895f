// `assay serve`: the HTTP server on PORT with graceful shutdown on SIGTERM/SIGINT (stop
// accepting, end the runs' event streams, let in-flight requests finish, close storage). The
// port is bound first, so a port in use stops start-up before the data directory is touched.
import { writeFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import { type Assay, composeAssay } from '../config/compose.js';
import type { Config } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { DataDirNotWritable } from '../config/secret-key.js';
import { makeDataDir } from '../config/storage.js';
import { privateNetworkWarning } from '../config/private-network.js';
import { unknownVariables } from '../config/unknown-env.js';
import { closeServer, forcedClose, listenEarly, shownHost } from './listen.js';
import { endStartUp } from './ready.js';

export interface RunningServer {
  assay: Assay;
  server: Server;
  port: number;
  /** Graceful stop; resolves when connections and storage are closed. */
  stop(): Promise<void>;
}

/**
 * Writes the first-start key where only the owner can read it. On PostgreSQL with
 * ASSAY_SECRET_KEY nothing else makes the data directory, so it is made here.
 */
async function writeKeyFile(dataDir: string, key: string): Promise<string> {
  await makeDataDir(dataDir);
  const file = path.join(dataDir, 'api-key');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

/**
 * The first-start key, printed whatever happens to its file: it is already in the database, and
 * this is the only time it is shown. A start that stopped on the file (no data directory on
 * PostgreSQL) left a key no one had seen, and the next start printed none.
 */
async function showCreatedKey(dataDir: string, key: string, keyId: string, out: (line: string) => void, warn: (line: string) => void, fileOnly: boolean): Promise<void> {
  const written = await writeKeyFile(dataDir, key).then((file) => ({ file }), (error: unknown) => ({ error }));
  if (fileOnly && 'file' in written) {
    out(`Created project "default" (its API key is in ${written.file})`);
    return;
  }
  out(`Created project "default". Its API key (shown once${'file' in written ? `, also written to ${written.file}` : ''}):`);
  out(`  ${key}`);
  out(`Its id (for \`assay keys revoke\` or DELETE /api/admin/api-keys/{id}): ${keyId}`);
  if ('error' in written) {
    const { error } = written;
    // The folder's own error says how to set the data directory up; here only why the file is not there.
    const why = error instanceof DataDirNotWritable ? `ASSAY_DATA_DIR ${error.dataDir} is not writable (${error.code})` : error instanceof Error ? error.message : String(error);
    warn(`The key was not written to ${path.join(dataDir, 'api-key')} (${why}): keep it from the line above, or make another with \`assay keys create --project default\``);
  }
}

/** How a server started for another command speaks. */
export interface StartOptions {
  /**
   * The first start's key of project "default" is said to be in its file, not printed, when the
   * file was written (`assay demo`, which prints its own project's key: two keys read as a choice).
   * Printed all the same when the file could not be written: it is shown once.
   */
  createdKeyInFileOnly?: boolean;
}

export async function startServer(config: Config, out: (line: string) => void = console.log, options: StartOptions = {}): Promise<RunningServer> {
  const logger = createLogger(config.logLevel);
  for (const line of unknownVariables(process.env)) logger.warn(line);
  // A port in use or a HOST that is not this machine's is a CliError naming the setting.
  const { server, port, ready, abandon } = await listenEarly(config.port, config.host, 'PORT', config.connections, (line) => logger.warn(line));
  let assay: Assay;
  try {
    assay = await composeAssay(config, { logger });
    const boot = await assay.projects.bootstrap(config.apiKey);
    if (boot?.createdKey) await showCreatedKey(config.dataDir, boot.createdKey, boot.createdKeyId!, out, (line) => logger.warn(line), options.createdKeyInFileOnly === true);
    await assay.start();
  } catch (error) {
    await abandon(error);
    throw error;
  }
  ready(assay.http.app.fetch);
  // Start-up is over: from here on what is allocated is requests' and runs' garbage.
  endStartUp(assay.plan);
  // With PORT=0 the real port is known only once bound; runUrl follows it.
  if (config.publicUrlDerived) config.publicUrl = `http://localhost:${port}`;
  // Once up, so a start-up that fails says only why.
  const exposed = privateNetworkWarning(config, process.env);
  if (exposed) logger.warn(exposed);
  const mode = assay.plan.mode === 'cluster' ? `, cluster role ${assay.plan.role}, process ${assay.processId}, Redis key prefix ${config.redisPrefix}` : '';
  out(`Assay listening on http://${shownHost(config.host)}:${port} (${assay.stores.dialect}${mode}; API docs at /docs)`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const closed = closeServer(server, config.shutdownTimeoutMs, () => logger.warn(forcedClose(config.shutdownTimeoutMs)));
      // An event stream lasts as long as its run, which does not end while the server stops:
      // each sends what was committed and ends (`: closed: shutdown`), and its client reconnects
      // to the next server with Last-Event-ID. Otherwise an open page held the close until the
      // timeout, and a restart took 10 s more than it needed.
      assay.runs.endStreams();
      await closed;
      // Runs in flight stop without ending; the next start continues them.
      await assay.close();
    })();
    return stopping;
  };
  return { assay, server, port, stop };
}
