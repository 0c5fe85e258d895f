// The report files `assay run` and `assay compare` write at the end (--junit, --json,
// --markdown, and $GITHUB_STEP_SUMMARY). Each is checked before the first request: a report
// that turns out unwritable only after a long run loses what the CI job was run for, and an
// unwritable step summary turned a passing run's exit code into 2.
import { constants } from 'node:fs';
import { access, appendFile, type FileHandle, open, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AssayClient, ExportChoice } from '../client/index.js';
import { CliError } from './cli-error.js';

const reason = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);

/** Why `file` cannot be written (or appended to), or undefined when it can. */
async function unwritable(file: string): Promise<string | undefined> {
  const resolved = path.resolve(file);
  const stats = await stat(resolved).catch((error: unknown) => {
    if (reason(error) === 'ENOENT') return undefined;
    throw new CliError(`Cannot use ${file}: ${reason(error)}`);
  });
  if (stats?.isDirectory()) return 'it is a directory';
  if (stats?.isFile()) {
    // Opened for writing without truncating it: what the write at the end will need, read-only
    // mounts and root's rights included (access() says yes to root for a 0444 file, and so does the write).
    try {
      await (await open(resolved, 'r+')).close();
      return undefined;
    } catch (error) {
      return `it is not writable (${reason(error)})`;
    }
  }
  // A device or a pipe (/dev/stdout): opening one to check could block; its permissions tell.
  if (stats) return access(resolved, constants.W_OK).then(() => undefined, (error: unknown) => `it is not writable (${reason(error)})`);
  const folder = path.dirname(resolved);
  try {
    await access(folder, constants.W_OK);
    return undefined;
  } catch (error) {
    return `folder ${folder} ${reason(error) === 'ENOENT' ? 'does not exist' : `is not writable (${reason(error)})`}`;
  }
}

/** A report flag and its file: `['--junit', 'r.xml', 'JUnit report']`; absent flags are skipped. */
export type ReportFile = [flag: string, file: string | undefined, what: string];

/**
 * Refuses (exit 2, before any request) report files that cannot be written, two flags naming
 * the same file (one report would overwrite the other), and an unwritable $GITHUB_STEP_SUMMARY.
 */
export async function checkReportFiles(reports: ReportFile[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const given = reports.filter((r): r is [string, string, string] => r[1] !== undefined);
  for (const [i, [flag, file]] of given.entries()) {
    const other = given.slice(0, i).find(([, f]) => path.resolve(f) === path.resolve(file));
    if (other) throw new CliError(`${other[0]} and ${flag} name the same file (${path.resolve(file)}): give each report a file of its own`);
  }
  for (const [, file, what] of given) {
    const why = await unwritable(file);
    if (why) throw new CliError(`Cannot write the ${what} to ${file}: ${why}`);
  }
  const step = env.GITHUB_STEP_SUMMARY;
  if (step) {
    const why = await unwritable(step);
    if (why) throw new CliError(`Cannot append the Markdown summary to GITHUB_STEP_SUMMARY (${step}): ${why}`);
  }
}

/** Writes a report, failing as one line that names the report. */
export async function writeReport(file: string, text: string, what: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new CliError(`Cannot write the ${what} to ${file}: ${reason(error)}`);
  }
}

/**
 * Writes a run's export to `file` as it arrives (a JUnit report of a large run was held whole
 * in memory, up to 512 MiB, before it was written).
 */
export async function writeExportReport(client: AssayClient, runId: string, format: 'jsonl' | 'csv' | 'junit', file: string, what: string, choice: ExportChoice = {}): Promise<void> {
  let out: FileHandle;
  try {
    out = await open(file, 'w');
  } catch (error) {
    throw new CliError(`Cannot write the ${what} to ${file}: ${reason(error)}`);
  }
  try {
    await client.exportRunTo(runId, format, async (chunk) => {
      try {
        await out.write(chunk);
      } catch (error) {
        throw new CliError(`Cannot write the ${what} to ${file}: ${reason(error)}`);
      }
    }, choice);
  } finally {
    await out.close().catch(() => {});
  }
}

/** Writes the Markdown report to `file` (when given) and appends it to $GITHUB_STEP_SUMMARY (when set). */
export async function publishMarkdown(text: string, file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (file) await writeReport(file, text, 'Markdown report');
  const step = env.GITHUB_STEP_SUMMARY;
  if (!step) return;
  try {
    await appendFile(step, `${text}\n`);
  } catch (error) {
    throw new CliError(`Cannot append the Markdown summary to GITHUB_STEP_SUMMARY (${step}): ${reason(error)}`);
  }
}
