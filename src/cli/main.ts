// The `assay` command line. Exit codes: 0 ok, 1 a run below its threshold, 2 could not run
// (bad configuration or arguments, server unreachable, …).
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config/env.js';
import { VERSION } from '../config/version.js';
import { registerAdminCommands } from './admin-commands.js';
import { registerCompareCommand } from './compare.js';
import { registerDemoCommand } from './demo.js';
import { registerPushCommand } from './push.js';
import { registerDatasetCommands } from './datasets.js';
import { registerExperimentCommands } from './experiments.js';
import { registerListCommands } from './list-commands.js';
import { registerRunCommand } from './run.js';
import { registerRunCommands } from './run-commands.js';
import { registerSecretsCommands } from './secrets-commands.js';
import { startServer } from './serve.js';
import { startWorker } from './worker.js';
import { CliError } from './cli-error.js';

const program = new Command('assay').version(VERSION).description('Runs saved LLM evaluations');
program.exitOverride();
// Program options only before the subcommand: by default commander also took `--version` after
// one, so `assay run capitals --version 2` printed the version and exited 0 without running (a
// CI gate that passed on nothing). Now a subcommand's unknown `--version` is an error (exit 2).
program.enablePositionalOptions();
program.configureOutput({ outputError: (s, write) => write(s) });

/**
 * Stops on the first SIGTERM/SIGINT (gracefully), exits at once on the second. The handlers are
 * installed before start-up, not once it is over: a supervisor (or a test) that sends SIGTERM as
 * soon as it reads "listening on" raced the few microtasks between that line and the handlers,
 * and the process died of the signal's default action instead of stopping (exit code null). A
 * signal during start-up stops the server once it is up; a start-up that fails is reported by
 * the command itself.
 */
function stopOnSignals(started: Promise<{ stop(): Promise<void> }>, what: string): void {
  let signals = 0;
  const onSignal = (signal: string) => {
    signals++;
    if (signals > 1) process.exit(1);
    console.log(`${signal} received: ${what}…`);
    started.then(
      (running) => running.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      ),
      () => undefined,
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

program
  .command('serve')
  .description('Start the HTTP server (embedded SQLite unless DATABASE_URL is set; with REDIS_URL, a cluster API process)')
  .action(async () => {
    const started = startServer(loadConfig());
    stopOnSignals(started, 'finishing in-flight requests');
    await started;
  });

program
  .command('worker')
  .description('Execute runs taken from the Redis queue (cluster mode: needs DATABASE_URL=postgres://… and REDIS_URL)')
  .action(async () => {
    const started = startWorker(loadConfig());
    stopOnSignals(started, 'stopping runs for other workers to continue');
    await started;
  });

registerAdminCommands(program);
registerSecretsCommands(program);
registerPushCommand(program);
registerDatasetCommands(program);
registerExperimentCommands(program);
registerListCommands(program);
registerRunCommand(program);
registerRunCommands(program);
registerCompareCommand(program);
registerDemoCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  if (error instanceof CliError) {
    console.error(`error: ${error.message}`);
    process.exit(error.exitCode);
  }
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
