// Reading the files the CLI sends (`assay push FILE`, `assay run --data FILE`): regular files
// only, within the server's body limit, and strict UTF-8. A FIFO or a device reported size 0
// and then hung the command; a file of invalid UTF-8 had each bad sequence replaced by U+FFFD
// without a word, so the server saved text that was never in the file.
import { firstInvalidUtf8 } from '../core/utf8.js';
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { loadConfig } from '../config/env.js';
import { CliError } from './cli-error.js';

const code = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);

/** Why a file could not be opened or read, in words, its error code after them ("no such file (ENOENT)"). */
const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of its path is a file, not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  EIO: 'an input/output error',
};

function reason(error: unknown): string {
  const c = code(error);
  const words = REASONS[c];
  return words === undefined ? c : `${words} (${c})`;
}

/** Bytes as people read them (the limit is at least 1 KiB). */
export const byteSize = (bytes: number): string => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

/**
 * The server's request body limit, ASSAY_MAX_BODY_BYTES (default 10 MiB), read from this
 * command's environment: the server answers 413 past it anyway, after the CLI has read and
 * parsed the whole file (25 MB of YAML took 17 s and 1.7 GB).
 */
export function bodyLimit(env: NodeJS.ProcessEnv = process.env): number {
  return loadConfig({ ASSAY_MAX_BODY_BYTES: env.ASSAY_MAX_BODY_BYTES }).maxBodyBytes;
}

/**
 * What a CSV or JSON Lines upload may hold: the server streams those up to ASSAY_MAX_UPLOAD_BYTES
 * (default 1 GiB), but the CLI reads a file into one string, which V8 caps below 512 MiB.
 */
export function uploadLimit(env: NodeJS.ProcessEnv = process.env): number {
  return Math.min(loadConfig({ ASSAY_MAX_UPLOAD_BYTES: env.ASSAY_MAX_UPLOAD_BYTES }).maxUploadBytes, 2 ** 29 - 24);
}

/** What kind of file it is, for the refusal of anything but a regular file. */
function kind(s: Awaited<ReturnType<typeof stat>>): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'not a regular file';
}


/**
 * The text of `file`, for `what` ("--data file"): refused with exit 2 when it is not a regular
 * file, is larger than `maxBytes` (said against ASSAY_MAX_BODY_BYTES), or is not UTF-8. A byte
 * order mark is dropped (Windows editors write one; it is no part of the data).
 */
export async function readTextFile(file: string, maxBytes: number, limitName = 'request body limit of', variable = 'ASSAY_MAX_BODY_BYTES'): Promise<string> {
  // Non-blocking: opening a FIFO for reading otherwise waits for a writer, before fstat can refuse it.
  const handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)).catch((error: unknown) => {
    throw new CliError(`Cannot read ${file}: ${reason(error)}`);
  });
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new CliError(`Cannot read ${file}: it is ${kind(stats)}, not a regular file`);
    if (stats.size > maxBytes) {
      throw new CliError(`${file} is ${byteSize(stats.size)}, over the server's ${limitName} ${byteSize(maxBytes)} (${variable}; if your server allows more, set it for this command too)`);
    }
    let bytes: Buffer;
    try {
      bytes = await handle.readFile();
    } catch (error) {
      throw new CliError(`Cannot read ${file}: ${reason(error)}`);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new CliError(`${file} is not valid UTF-8: the first invalid byte sequence is at byte offset ${firstInvalidUtf8(bytes)}; save it as UTF-8`);
    }
  } finally {
    await handle.close();
  }
}

export { firstInvalidUtf8 } from '../core/utf8.js';
