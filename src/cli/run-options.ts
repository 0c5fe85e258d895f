// `assay run`'s flags checked before anything is sent: numbers that are numbers, a timeout a
// timer can hold, and the flags that only mean something when the CLI waits for the end.
import { CliError } from './cli-error.js';

/** The flags of `assay run`, as commander hands them over (strings, unparsed). */
export interface RunOptions {
  endpoint?: string;
  apiKey?: string;
  param?: string[];
  data?: string;
  rows?: string;
  maxErrors?: string;
  wait?: boolean;
  timeout?: string;
  failUnder?: string;
  junit?: string;
  json?: string;
  baseline?: string;
  failOnRegression?: boolean;
  maxDrop?: string;
  markdown?: string;
  estimate?: boolean;
}

/** The numeric flags parsed, and whether a regression gate decides the verdict. */
export interface RunChecks {
  failUnder: number | undefined;
  timeoutS: number | undefined;
  maxDrop: number | undefined;
  gated: boolean;
}

/**
 * The longest --timeout: Node's timers hold at most 2^31-1 ms (≈ 24.8 days) and fire at once
 * beyond it (TimeoutOverflowWarning), which turned `--timeout 9999999` into an instant timeout.
 */
export const MAX_TIMEOUT_S = Math.floor((2 ** 31 - 1) / 1000);

/** A number flag, or undefined when absent; '' and non-numbers are refused, not read as 0. */
function numberFlag(raw: string | undefined, ok: (n: number) => boolean, refusal: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n) || !ok(n)) throw new CliError(`${refusal} (got "${raw}")`);
  return n;
}

/** Flags that act on the finished run, refused with --no-wait rather than silently ignored. */
const WAITING_FLAGS: [keyof RunOptions, string][] = [
  ['timeout', '--timeout'],
  ['failUnder', '--fail-under'],
  ['junit', '--junit'],
  ['json', '--json'],
  ['markdown', '--markdown'],
  ['baseline', '--baseline'],
  ['failOnRegression', '--fail-on-regression'],
  ['maxDrop', '--max-drop'],
];

export function checkRunOptions(opts: RunOptions): RunChecks {
  const failUnder = numberFlag(opts.failUnder, (n) => n >= 0 && n <= 100, '--fail-under takes a percentage between 0 and 100');
  const timeoutS = numberFlag(opts.timeout, (n) => n > 0 && n <= MAX_TIMEOUT_S, `--timeout takes a number of seconds, at most ${MAX_TIMEOUT_S} (24 days)`);
  const maxDrop = numberFlag(opts.maxDrop, (n) => n >= 0 && n <= 100, '--max-drop takes percentage points between 0 and 100');
  const gated = opts.failOnRegression === true || maxDrop !== undefined;
  if (opts.wait === false || opts.estimate === true) {
    const mode = opts.estimate === true ? '--estimate' : '--no-wait';
    const given = WAITING_FLAGS.filter(([key]) => opts[key] !== undefined).map(([, flag]) => flag);
    if (opts.estimate === true && opts.wait === false) given.push('--no-wait');
    if (given.length > 0) throw new CliError(`${given.join(', ')} ${given.length > 1 ? 'act' : 'acts'} on the finished run: ${given.length > 1 ? 'they cannot' : 'it cannot'} be used with ${mode}`);
  }
  if (gated && !opts.baseline) throw new CliError('--fail-on-regression and --max-drop need --baseline previous|RUN_ID');
  return { failUnder, timeoutS, maxDrop, gated };
}

/** `--max-errors 5`: a whole number of failed target calls, at least 1. */
export function parseMaxErrors(raw: string): number {
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > 100_000_000) throw new CliError(`--max-errors takes a whole number of failed target calls, from 1 to 100000000 (got "${raw}")`);
  return n;
}

/** `--rows 0,2,5` as numbers; an empty list or anything but row numbers is refused. */
export function parseRows(raw: string): number[] {
  const rows = raw.split(',').map((s) => s.trim());
  if (rows.some((r) => !/^\d+$/.test(r))) throw new CliError(`--rows takes comma-separated row numbers (got "${raw}")`);
  return rows.map(Number);
}
