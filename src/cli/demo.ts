// `assay demo` (npm run demo): starts the embedded server and the example FAQ bot, saves a
// demo experiment comparing the bot (an HTTP target) with a naive code target on a bundled
// 26-row dataset, runs it with live progress, and prints the summary and the runUrl.
// Needs no API key and no network. The demo project's key is made once and kept in the data
// directory (demo-api-key, readable by its owner only, as serve's api-key file): every later demo
// uses it again, so demos do not pile up active keys, and a run page signed in with it stays so.
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ApiError, AssayClient } from '../client/index.js';
import { composeAssay } from '../config/compose.js';
import { type Config, loadConfig } from '../config/env.js';
import { PACKAGE_ROOT } from '../config/package-root.js';
import { sqlitePath } from '../config/storage.js';
import { CliError } from './cli-error.js';
import { guardOutput } from './output.js';
import { progressView } from './progress.js';
import { startServer } from './serve.js';
import { freeTargets } from './costs.js';
import { formatSummary } from './summary.js';

const EXAMPLES = new URL('examples/faq-bot/', PACKAGE_ROOT);

/** A deliberately naive baseline, to compare against the bot. */
const BASELINE = `
const q = String(row.question).toLowerCase();
if (q.includes('password')) return 'Open Settings > Security and choose Reset password.';
if (q.includes('refund')) return 'Refunds are available within 30 days of purchase.';
if (q.includes('price') || q.includes('cost')) return 'Plans start at $12 per user per month.';
return "Sorry, I don't know.";
`;

export function demoExperiment(botUrl: string, rows: unknown[]) {
  return {
    slug: 'faq-demo',
    name: 'FAQ bot vs keyword baseline',
    description: 'The example FAQ bot (examples/faq-bot) against a naive code baseline.',
    dataset: { rows },
    targets: [
      { id: 'faq-bot', name: 'FAQ bot (HTTP)', type: 'http', url: `${botUrl}/chat`, body: { message: '{{question}}' }, outputPath: '$.reply', timeoutMs: 10_000 },
      { id: 'baseline', name: 'Keyword baseline (code)', type: 'code', code: BASELINE },
    ],
    evaluators: [
      { id: 'exact', name: 'Exact answer', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
      { id: 'no-shrug', name: 'Gives an answer', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'not_contains', value: "don't know" }] } },
    ],
    execution: { concurrency: 8 },
    thresholds: { passRate: 50 },
  };
}

/** Whether an Assay already answers on this port (e.g. `npm start` in another terminal). */
async function serverOn(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok && ((await res.json()) as { status?: string }).status === 'ok';
  } catch {
    return false;
  }
}

/** Where the demo keeps its project's key, beside the database it was made in. */
export const demoKeyFile = (dataDir: string): string => path.join(dataDir, 'demo-api-key');

/** The key a previous demo saved, or undefined when there is none it can read. */
async function savedKey(dataDir: string): Promise<string | undefined> {
  try {
    const key = (await readFile(demoKeyFile(dataDir), 'utf8')).trim();
    return key === '' ? undefined : key;
  } catch {
    return undefined;
  }
}

/**
 * Saves the demo's key for the next demo, readable by its owner only. Best effort: a data
 * directory that cannot take the file (PostgreSQL with ASSAY_SECRET_KEY set has none) only means
 * the next demo makes another key.
 */
async function saveKey(dataDir: string, key: string): Promise<boolean> {
  const file = demoKeyFile(dataDir);
  try {
    await writeFile(file, `${key}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    return true;
  } catch {
    // The key is printed all the same.
    return false;
  }
}

/**
 * The demo project's key, in the shared database (the server process reads the same one): the
 * saved one while it is an active key of project `demo`, else a new one (the project's first key
 * when the demo makes the project), saved for the next demo.
 */
async function demoKey(config: Config, assay?: Awaited<ReturnType<typeof composeAssay>>): Promise<{ apiKey: string; kept: boolean }> {
  const own = assay ?? (await composeAssay(config));
  try {
    let demo = await own.stores.projects.getBySlug('demo');
    let key: string;
    if (demo) {
      const saved = await savedKey(config.dataDir);
      if (saved !== undefined && (await own.projects.identify(saved))?.project.id === demo.id) return { apiKey: saved, kept: true };
      key = (await own.projects.createKey(demo.id)).apiKey;
    } else {
      const created = await own.projects.createProject('Demo', 'demo');
      demo = created.project;
      key = created.key.apiKey;
    }
    return { apiKey: key, kept: await saveKey(config.dataDir, key) };
  } finally {
    // A borrowed connection only: runs are executed by the server that is already up.
    if (!assay) await own.close();
  }
}

/**
 * What to say when the server already on the port keeps its projects in another data directory
 * (or database) than this demo's: it refused the demo's key, or (`noDatabase`) this demo's data
 * directory has no database at all, so that server cannot be using it. The demo reads no key from
 * the environment, so the ways out are the server's or the demo's settings.
 */
function foreignServerMessage(port: number, config: Pick<Config, 'dataDir' | 'databaseUrl'>, noDatabase = false): string {
  // DATABASE_URL may hold a password: named, never printed.
  const own = config.databaseUrl ? 'DATABASE_URL' : `ASSAY_DATA_DIR ${config.dataDir}`;
  const why = noDatabase ? `this demo's ${own} holds no database, so that server keeps its projects elsewhere` : `it refused the demo's key (401), which was made in this demo's ${own}`;
  return (
    `an Assay server is already running on port ${port} with a different data directory or database: ${why}. ` +
    `Stop that server (the demo then starts its own), run the demo with PORT set to a free port, ` +
    `or set ASSAY_DATA_DIR (or DATABASE_URL) to that server's`
  );
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .option('--exit', 'stop the server after the run instead of keeping it up')
    .description('Run the bundled demo experiment with live progress (no API key needed)')
    .action(async (opts: { exit?: boolean }) => {
      // `assay demo | head` must not end in an EPIPE crash.
      const output = guardOutput(process.stdout);
      const say = (line: string) => output.write(`${line}\n`);
      const { startFaqBot } = (await import(new URL('server.mjs', EXAMPLES).href)) as {
        startFaqBot: (o?: { port?: number }) => Promise<{ url: string; close(): Promise<void> }>;
      };
      const rows = JSON.parse(await readFile(new URL('dataset.json', EXAMPLES), 'utf8')) as unknown[];
      // A demo is a look on this machine: its own server serves this machine only (no warning
      // about a network it does not face) and speaks in the demo's lines, not in info logs ("took
      // run", "run started"), unless HOST or ASSAY_LOG_LEVEL say otherwise.
      process.env.HOST ??= '127.0.0.1';
      process.env.ASSAY_LOG_LEVEL ??= 'warn';
      const config = loadConfig();
      // With a server already on the port (npm start, then npm run demo), the demo uses it:
      // same database, so its key works there and its runUrl opens on that server.
      const attached = await serverOn(config.port);
      // A server on the port while this demo's data directory has no database keeps its data
      // elsewhere: said before anything is made (the demo's own server, like `assay serve`,
      // binds the port before it touches the data directory).
      if (attached && config.databaseUrl === undefined && !existsSync(sqlitePath(config.dataDir))) throw new CliError(foreignServerMessage(config.port, config, true));
      const bot = await startFaqBot();
      // One key is printed, the demo project's: the default project's first key is left in its file.
      const running = attached ? null : await startServer(config, console.log, { createdKeyInFileOnly: true });
      const port = running?.port ?? config.port;
      if (attached) say(`Using the Assay server already running on port ${port}`);
      const key = await demoKey(config, running?.assay);
      const client = new AssayClient({ endpoint: `http://127.0.0.1:${port}`, apiKey: key.apiKey });
      try {
        await client.json('PUT', '/api/experiments/faq-demo', demoExperiment(bot.url, rows));
      } catch (error) {
        if (attached && error instanceof ApiError && error.status === 401) {
          await bot.close();
          throw new CliError(foreignServerMessage(port, config));
        }
        throw error;
      }

      const started = await client.startRun('faq-demo');
      say(`\nDemo: "${'FAQ bot vs keyword baseline'}", ${rows.length} rows × 2 targets = ${started.total} cells`);
      const view = progressView(started.total, process.stdout, output.write);
      const failing = new Set<string>();
      for await (const e of client.events(started.runId)) {
        if ((e.type === 'target_result' && e.error !== undefined) || (e.type === 'evaluator_result' && (e.result.status === 'error' || (e.result.status === 'processed' && e.result.passed === false)))) {
          failing.add(`${e.rowIndex}/${e.targetId}/${e.repeat}`);
        }
        if (e.type === 'progress' && !output.closed) view.update(e.completed, failing.size);
      }
      view.stop();
      const final = await client.getRun(started.runId);
      const free = await freeTargets(client, started.runId);
      // With --exit, what stops stops before the lines that point at it, which then say so: a
      // run URL and a sign-in key for a server that has gone read as if they worked.
      if (opts.exit) {
        await running?.stop();
        await bot.close();
      }
      say(formatSummary(final.status, final.summary, started.runUrl, free));
      if (opts.exit && running) {
        say(`The demo's server has stopped (--exit). The run page above opens again once a server on this data directory listens on port ${port} (npm start), signed in with the demo project's key: ${key.apiKey}`);
      } else {
        say(`Demo project key (sign in to the run page with it; API at http://localhost:${port}/docs): ${key.apiKey}`);
        if (opts.exit) say('The demo agent has stopped (--exit): a re-run from the page cannot call it; run the demo again to start it.');
      }
      if (key.kept) say(`  kept in ${demoKeyFile(config.dataDir)}: the next demo uses it again`);
      if (opts.exit) return;
      say(running ? 'The server keeps running; press Ctrl+C to stop.' : 'The demo agent keeps running for re-runs from the page; press Ctrl+C to stop it.');
      const stop = () => {
        void Promise.all([running?.stop(), bot.close()]).then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
