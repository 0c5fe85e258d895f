// Small helpers every evaluator family shares: reading an input as text, the "skipped"
// answer for an input that is not there, a host-safe message out of anything thrown, and
// the results of a model that cannot be called or whose call failed.
import { CallError, type EvaluationResult } from '../core/model/results.js';

/** Where each well-known input comes from by default (SPEC §4), for actionable messages. */
const MAPPING_HINTS: Record<string, string> = {
  input: 'map it with "inputs": {"input": "row.<column>"} or give the dataset an "input" or "question" column',
  output: 'the target returned nothing; map it with "inputs": {"output": "output"} or {"output": "output.<path>"}',
  expected_output:
    'map it with "inputs": {"expected_output": "row.<column>"} or give the dataset an "expected_output" or "expected" column',
  contexts: 'map it with "inputs": {"contexts": "row.<column>"} or give the dataset a "contexts" column',
};

/**
 * An input as text. The engine already turns non-strings into JSON text for string inputs;
 * this repeats it so an evaluator called directly behaves the same. Absent stays absent.
 */
export function textInput(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

const NON_ASCII = /[\u0080-\uffff]/;

/** True when every character of `text` is ASCII. */
export function isAscii(text: string): boolean {
  return !NON_ASCII.test(text);
}

/**
 * Unicode NFC, for comparing texts that may spell one character two ways. ASCII text is NFC
 * already and is returned as it is: ICU's normalizer is then never called, nor its data loaded
 * (≈ 7 ms of a server's first run, inside its first wave of answers).
 */
export function nfc(text: string): string {
  return NON_ASCII.test(text) ? text.normalize('NFC') : text;
}

/** The answer when a needed input is null or unmapped: inconclusive, with the fix spelled out. */
export function missingInput(name: string): EvaluationResult {
  const hint = MAPPING_HINTS[name] ?? `map it with "inputs": {"${name}": "row.<column>"}`;
  return { status: 'skipped', details: `${name} is missing (null or not mapped): ${hint}` };
}

const MAX_MESSAGE = 1000;

/**
 * The message of something thrown, without a stack: errors from a sandbox may come from
 * another realm (so `instanceof Error` fails) and their stacks would leak host paths.
 */
export function thrownMessage(thrown: unknown): string {
  const message =
    typeof thrown === 'object' && thrown !== null && typeof (thrown as { message?: unknown }).message === 'string'
      ? (thrown as { message: string }).message
      : String(thrown);
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
}

/** Cuts a value for quoting in `details`, so one long output does not flood the results. */
export function quote(text: string, max = 80): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** The answer when an evaluator's model cannot be called (provider not set up): inconclusive. */
/**
 * An evaluator whose model cannot be called (no key for its provider, an unknown provider) is
 * an error, not "skipped" as LangWatch has it: skipped results count against nothing, so a run
 * whose judge never ran passed every gate at 100% (docs/decisions.md, "A judge that cannot be
 * called fails its cells").
 */
export function modelUnavailable(model: string, reason: string): EvaluationResult {
  return { status: 'error', errorType: 'provider_not_configured', details: `model ${model} cannot be called: ${reason}` };
}

/**
 * A failed model call as a result. A rejected key (401/403) and provider faults that outlived
 * the client's retries are errors the user must see; the run's own abort (or the evaluator's
 * timeout) is rethrown so the engine records it as such, not as a provider failure.
 */
export function modelCallFailed(error: unknown, signal: AbortSignal): EvaluationResult {
  if (signal.aborted) throw error;
  const message = thrownMessage(error);
  if (error instanceof CallError) {
    const auth = error.status === 401 || error.status === 403;
    return { status: 'error', errorType: auth ? 'provider_auth' : 'provider_error', details: message };
  }
  return { status: 'error', errorType: 'provider_error', details: message };
}
