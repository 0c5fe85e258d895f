// The report files `assay run` writes after the run (--junit, --json; --markdown goes through
// compare.ts's publishMarkdown). Their folders are checked before the run starts: a missing
// folder found only after a long run loses the report the CI job was run for.
import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from './cli-error.js';

const reason = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);

/** Refuses a report file whose folder is missing or not writable (exit 2, before any request). */
export async function checkReportFile(file: string, what: string): Promise<void> {
  const folder = path.dirname(path.resolve(file));
  try {
    await access(folder, constants.W_OK);
  } catch (error) {
    throw new CliError(`Cannot write the ${what} to ${file}: folder ${folder} ${reason(error) === 'ENOENT' ? 'does not exist' : `is not writable (${reason(error)})`}`);
  }
}

/** Writes a report, failing as one line that names the report. */
export async function writeReport(file: string, text: string, what: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new CliError(`Cannot write the ${what}: ${reason(error)}`);
  }
}
