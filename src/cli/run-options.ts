// `assay run`'s flags checked before anything is sent: numbers that are numbers, a timeout a
// timer can hold, and the flags that only mean something when the CLI waits for the end.
import type { Command } from 'commander';
import { CliError } from './cli-error.js';

/** The flags of `assay run`, as commander hands them over (strings, unparsed). */
export interface RunOptions {
  endpoint?: string;
  apiKey?: string;
  param?: string[];
  data?: string;
  dataset?: string;
  rows?: string;
  maxErrors?: string;
  repeats?: string;
  concurrency?: string;
  metadata?: string[];
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
  // A fraction written for a percentage (0.9 for 90 %) would gate at 0.9 % and pass nearly anything.
  if (failUnder !== undefined && failUnder > 0 && failUnder < 1) {
    const percent = Number((failUnder * 100).toPrecision(12));
    throw new CliError(`--fail-under is a percentage from 0 to 100: ${failUnder} means ${failUnder} %; for ${percent} % write ${percent}`);
  }
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

/** A whole-number flag within [min, max]; anything else is refused naming the flag and what it counts. */
function wholeNumber(raw: string, flag: string, what: string, min: number, max: number): number {
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new CliError(`${flag} takes a whole number of ${what}, from ${min} to ${max} (got "${raw}")`);
  return n;
}

/** `--max-errors 5`: a whole number of failed target calls, at least 1. */
export const parseMaxErrors = (raw: string): number => wholeNumber(raw, '--max-errors', 'failed target calls', 1, 100_000_000);

/** `--repeats 3`: runs of each cell (the run body's `repeats`, at most 100). */
export const parseRepeats = (raw: string): number => wholeNumber(raw, '--repeats', 'runs of each cell', 1, 100);

/** `--concurrency 20`: cells run at once (the run body's `concurrency`, at most 1000). */
export const parseConcurrency = (raw: string): number => wholeNumber(raw, '--concurrency', 'cells run at once', 1, 1000);

/**
 * `--metadata commit=abc123 --metadata branch=main`: the run's `metadata`, labels kept with it
 * and shown wherever it is. Values stay text (a commit of digits only, or "007", must not turn
 * into a number); a key given twice is refused rather than one value silently dropped.
 */
export function parseMetadata(pairs: string[]): Record<string, string> {
  const metadata = new Map<string, string>();
  for (const raw of pairs) {
    const eq = raw.indexOf('=');
    const key = eq < 0 ? '' : raw.slice(0, eq).trim();
    if (key === '') throw new CliError(`--metadata needs key=value, e.g. --metadata commit=$GITHUB_SHA (got "${raw}")`);
    if (metadata.has(key)) throw new CliError(`--metadata gives "${key}" twice: give each key once`);
    metadata.set(key, raw.slice(eq + 1));
  }
  return Object.fromEntries(metadata);
}

/** The flags of the wait and its reports, as `assay run` has them. */
export const waitingOptions = (c: Command): Command =>
  c
    .option('--timeout <seconds>', 'stop waiting after this long, the run going on (exit 2; Ctrl-C stops waiting too, exit 130)')
    .option('--fail-under <pct>', 'exit 1 when the pass rate is below this percentage')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--json <file>', 'write the final run (with its summary) as JSON')
    .option('--baseline <run>', 'compare the finished run with this run id, or "previous" (the previous finished run)')
    .option('--fail-on-regression', 'exit 1 when the comparison says "regressed" (needs --baseline)')
    .option('--max-drop <points>', 'exit 1 when the pass rate fell more than this many points against the baseline (needs --baseline)')
    .option('--markdown <file>', 'write the summary (and comparison) as Markdown; appended to $GITHUB_STEP_SUMMARY when set');
