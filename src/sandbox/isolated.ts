// User code (code targets, code evaluators) runs in a V8 isolate of its own via isolated-vm:
// a separate heap with a memory limit, no Node APIs and no host objects, only the JavaScript
// builtins. Values cross the boundary as JSON text, so nothing from the host leaks in and
// nothing but JSON comes out. See docs/decisions.md ("Code sandbox").
import type ivm from 'isolated-vm';
import type { SandboxFactory, SandboxFunction, SandboxOptions } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';
import { HARDEN_CONTEXT } from './harden.js';

/** Name given to user code in stack traces; only used to find line numbers. */
const FILENAME = 'assay-code.js';
const DEFAULT_MEMORY_MB = 128;
const MAX_MESSAGE = 500;
/** Largest result (JSON characters) a call may return; more is an error, checked inside. */
const MAX_RESULT_CHARS = 10 * 1024 * 1024;

/**
 * The user's body becomes an async function expression at the top level of its own script, so
 * its scope holds only its parameters and the builtins. Line 1 is the header (hidden by
 * `lineOffset: -1`), so line N of the body is reported as line N.
 */
function wrap(body: string, params: string[]): string {
  return `(async function (${params.join(', ')}) {\n${body}\n})`;
}

/**
 * Closure (run by `evalClosure` with the user function as `$0`) returning the runner: an async
 * function taking the arguments as JSON text and answering a tagged string —
 * `"1" + JSON` (the result), `"0" + JSON {message, line?}` (the code threw),
 * `"2" + JSON {message}` (the result is not JSON-serialisable, e.g. a BigInt or a cycle),
 * `"3"` (the result is larger than MAX_RESULT_CHARS) or `"4"` (the code threw the RangeError
 * of an array buffer the allocator refused: the memory limit).
 * isolated-vm refuses such an allocation without disposing the isolate, and the only trace it
 * leaves is V8's RangeError with its fixed message, so that exact message is what is matched
 * (a user throwing it on purpose only changes the text of their own error). Asking the isolate
 * itself to fail one allocation at start-up, to learn the message, would cost a full GC
 * (~10 ms) per isolate.
 * It keeps the original JSON functions in case user code replaces them. Results follow
 * JSON.stringify: `undefined`, functions and symbols become `null` at the top level, are
 * dropped from objects and become `null` in arrays; Dates become ISO strings.
 */
const RUNNER = `
  const fn = $0, parse = JSON.parse, stringify = JSON.stringify, S = String, RangeErr = RangeError;
  if (typeof fn !== 'function') throw new TypeError('the code must be a function body');
  const fileRe = /${FILENAME.replace(/[.-]/g, '\\$&')}:(\\d+):/;
  function describe(e) {
    let message;
    try { message = e instanceof Error ? S(e.message) : typeof e === 'string' ? e : stringify(e) ?? S(e); }
    catch { message = 'a value that cannot be shown'; }
    let line;
    try {
      const m = e instanceof Error && typeof e.stack === 'string' ? fileRe.exec(e.stack) : null;
      if (m) line = Number(m[1]);
    } catch { /* no line */ }
    return { message, line };
  }
  return async function (argsJson) {
    let value;
    try { value = await fn(...parse(argsJson)); }
    catch (e) {
      if (e instanceof RangeErr && e.message === 'Array buffer allocation failed') return '4';
      return '0' + stringify(describe(e));
    }
    try {
      const text = stringify(value);
      if (text !== undefined && text.length > ${MAX_RESULT_CHARS}) return '3';
      return text === undefined ? '1null' : '1' + text;
    }
    catch (e) { return '2' + stringify(describe(e)); }
  };
`;

/**
 * One line, bounded: messages end up in results and events. Cutting before any redaction is
 * safe here only because no secret reaches the sandbox: secrets exist in HTTP targets' url,
 * headers and auth, and target outputs reach code evaluators already redacted.
 */
function oneLine(text: string): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE)}…` : flat;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** The live isolate behind a compiled function; recreated after a timeout or memory kill. */
interface Live {
  isolate: ivm.Isolate;
  context: ivm.Context;
  runner: ivm.Reference<(argsJson: string) => Promise<string>>;
  /** Why we disposed it ourselves, if we did (otherwise a disposal means the memory limit). */
  killedFor?: 'timeout' | 'abort' | 'dispose';
}

/**
 * isolated-vm, loaded when the first isolate is created: its native module is 26 MB on disk and
 * an embedded server that runs no code target or code evaluator never needs it (docs/benchmarks.md,
 * "Memory"). A failed load is forgotten, so the next compile tries again.
 */
let loading: Promise<typeof ivm> | undefined;
function loadIvm(): Promise<typeof ivm> {
  loading ??= import('isolated-vm').then((m) => m.default, (error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/** Isolates for user code; one isolate per compiled function. */
export class IsolatedSandbox implements SandboxFactory {
  async compile(body: string, options: SandboxOptions): Promise<SandboxFunction> {
    // isolated-vm's minimum is 8 MB.
    const memoryMb = Math.max(8, options.memoryMb ?? DEFAULT_MEMORY_MB);
    const fn = new IsolatedFunction(wrap(body, options.params), body.split('\n').length, memoryMb, options.timeoutMs);
    await fn.start();
    return fn;
  }
}

class IsolatedFunction implements SandboxFunction {
  private live: Live | undefined;
  private starting: Promise<Live> | undefined;
  /** Calls run one at a time (an isolate runs one thing at a time anyway); this is the tail. */
  private tail: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly script: string,
    private readonly lines: number,
    private readonly memoryMb: number,
    private readonly timeoutMs: number,
  ) {}

  /** Creates the isolate and compiles the code; throws CallError when it does not compile. */
  async start(): Promise<Live> {
    if (this.disposed) throw new CallError('the code sandbox was disposed', { retryable: false });
    if (this.live && !this.live.isolate.isDisposed) return this.live;
    this.starting ??= this.create().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async create(): Promise<Live> {
    const { Isolate } = await loadIvm();
    const isolate = new Isolate({ memoryLimit: this.memoryMb });
    try {
      const context = await isolate.createContext();
      // Before the user's code: an inert console, and nothing that allocates outside the
      // memory limit (no WebAssembly, no resizable buffers).
      await context.eval(HARDEN_CONTEXT);
      let compiled: ivm.Script;
      try {
        compiled = await isolate.compileScript(this.script, { filename: FILENAME, lineOffset: -1 });
      } catch (error) {
        throw compileError(error, this.lines);
      }
      // Running the script only defines functions, but a body that closes the wrapper early
      // could run statements here, so this run is time-limited too.
      const fn = await compiled.run(context, { reference: true, timeout: this.timeoutMs });
      compiled.release();
      const runner = (await context.evalClosure(RUNNER, [fn.derefInto()], {
        result: { reference: true },
        timeout: this.timeoutMs,
      })) as Live['runner'];
      fn.release();
      if (this.disposed) throw new CallError('the code sandbox was disposed', { retryable: false });
      this.live = { isolate, context, runner };
      return this.live;
    } catch (error) {
      if (!isolate.isDisposed) isolate.dispose();
      if (error instanceof CallError) throw error;
      throw new CallError(`code could not be loaded: ${oneLine(messageOf(error))}`, { retryable: false });
    }
  }

  call(args: unknown[], signal: AbortSignal): Promise<unknown> {
    if (signal.aborted) return Promise.reject(abortReason(signal));
    let argsJson: string;
    try {
      argsJson = JSON.stringify(args);
    } catch (error) {
      return Promise.reject(new CallError(`arguments are not JSON: ${oneLine(messageOf(error))}`, { retryable: false }));
    }
    const run = this.tail.then(() => this.runOne(argsJson, signal));
    this.tail = run.catch(() => undefined);
    // A call still waiting behind others rejects as soon as its signal aborts.
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(abortReason(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      run.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async runOne(argsJson: string, signal: AbortSignal): Promise<unknown> {
    if (signal.aborted) throw abortReason(signal);
    const live = await this.start();
    let timer: NodeJS.Timeout | undefined;
    const started = performance.now();
    const kill = (why: NonNullable<Live['killedFor']>): void => {
      live.killedFor ??= why;
      if (!live.isolate.isDisposed) live.isolate.dispose();
    };
    const onAbort = (): void => kill('abort');
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // The isolate's own timeout covers synchronous code and its microtasks; the host timer
      // also catches async code waiting on a promise that never settles. Either way the
      // isolate is disposed and the next call starts a fresh one.
      timer = setTimeout(() => kill('timeout'), this.timeoutMs);
      const tagged = await live.runner.apply(undefined, [argsJson], { result: { promise: true }, timeout: this.timeoutMs });
      return decode(tagged, this.memoryMb);
    } catch (error) {
      if (error instanceof CallError) throw error;
      if (signal.aborted) throw abortReason(signal);
      throw this.failure(live, error, performance.now() - started);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Classifies an infrastructure failure by the isolate's state, not by the error's text. */
  private failure(live: Live, error: unknown, elapsedMs: number): CallError {
    if (live.killedFor === 'timeout') return timedOut(this.timeoutMs);
    if (live.killedFor === 'dispose') return new CallError('the code sandbox was disposed', { retryable: false });
    if (live.isolate.isDisposed) return outOfMemory(this.memoryMb);
    // Still alive: most likely isolated-vm's own timeout terminated the script (it fires at
    // the same moment as our timer). Either way start afresh next time: a terminated async
    // function can leave the context half-finished.
    live.killedFor = 'timeout';
    live.isolate.dispose();
    if (elapsedMs >= this.timeoutMs * 0.9) return timedOut(this.timeoutMs);
    return new CallError(`code sandbox failed: ${oneLine(messageOf(error))}`, { retryable: false });
  }

  dispose(): void {
    this.disposed = true;
    const live = this.live;
    this.live = undefined;
    if (live && !live.isolate.isDisposed) {
      live.killedFor ??= 'dispose';
      live.isolate.dispose();
    }
  }
}

function outOfMemory(memoryMb: number): CallError {
  return new CallError(`code exceeded the ${memoryMb} MB memory limit`, { retryable: false });
}

function timedOut(ms: number): CallError {
  return new CallError(`code timed out after ${ms} ms`, { retryable: false });
}

/** Unpacks the runner's tagged answer: the result, or the CallError it stands for. */
function decode(tagged: unknown, memoryMb: number): unknown {
  if (typeof tagged !== 'string' || tagged.length === 0) {
    throw new CallError('code sandbox returned an unexpected value', { retryable: false });
  }
  const kind = tagged[0];
  if (kind === '1') return JSON.parse(tagged.slice(1)) as unknown;
  if (kind === '4') throw outOfMemory(memoryMb);
  if (kind === '3') throw new CallError(`code returned more than ${MAX_RESULT_CHARS / 1024 / 1024} MB of JSON`, { retryable: false });
  const { message, line } = JSON.parse(tagged.slice(1)) as { message: string; line?: number };
  if (kind === '0') {
    const where = typeof line === 'number' ? ` (line ${line})` : '';
    throw new CallError(`code threw: ${oneLine(message)}${where}`, { retryable: false });
  }
  throw new CallError(`code returned a value that is not JSON: ${oneLine(message)}`, { retryable: false });
}

/**
 * isolated-vm reports syntax errors as `message [file:line:column]`. A line past the body is
 * the wrapper's closing brace: the body ended early (unclosed bracket) or closed too soon.
 */
function compileError(error: unknown, lines: number): CallError {
  const raw = messageOf(error);
  const m = /\s*\[[^\]]*:(\d+):\d+\]\s*$/.exec(raw);
  const message = oneLine(m ? raw.slice(0, m.index) : raw);
  if (!m) return new CallError(`code does not compile: ${message}`, { retryable: false });
  const line = Math.max(1, Number(m[1]));
  const where = line > lines ? ` at the end of the code (line ${lines})` : ` (line ${line})`;
  return new CallError(`code does not compile: ${message}${where}`, { retryable: false });
}

/** The message only, never a stack (stacks would show host paths). */
function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'unknown error';
}
