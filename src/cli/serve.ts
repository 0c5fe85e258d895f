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

/** Writes the first-start key where only the owner can read it. */
async function writeKeyFile(dataDir: string, key: string): Promise<string> {
  const file = path.join(dataDir, 'api-key');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

export async function startServer(config: Config, out: (line: string) => void = console.log): Promise<RunningServer> {
  const logger = createLogger(config.logLevel);
  for (const line of unknownVariables(process.env)) logger.warn(line);
  // A port in use or a HOST that is not this machine's is a CliError naming the setting.
  const { server, port, ready, abandon } = await listenEarly(config.port, config.host, 'PORT');
  let assay: Assay;
  try {
    assay = await composeAssay(config, { logger });
    const boot = await assay.projects.bootstrap(config.apiKey);
    if (boot?.createdKey) {
      const file = await writeKeyFile(config.dataDir, boot.createdKey);
      out(`Created project "default". Its API key (shown once, also written to ${file}):`);
      out(`  ${boot.createdKey}`);
      out(`Its id (for \`assay keys revoke\` or DELETE /api/admin/api-keys/{id}): ${boot.createdKeyId}`);
    }
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
  const mode = assay.plan.mode === 'cluster' ? `, cluster role ${assay.plan.role}, process ${assay.processId}` : '';
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
