// User code (code targets, code evaluators) runs in a V8 isolate of its own via isolated-vm:
// a separate heap with a memory limit, no Node APIs and no host objects, only the JavaScript
// builtins. Values cross the boundary as JSON text, so nothing from the host leaks in and
// nothing but JSON comes out. See docs/decisions.md ("Code sandbox").
import type ivm from 'isolated-vm';
import type { SandboxFactory, SandboxFunction, SandboxOptions } from '../core/model/adapters.js';
import { assertNever } from '../core/errors.js';
import { CallError } from '../core/model/results.js';
import { IsolateBudget, type Slot } from './budget.js';
import { CompileChecker, type CompileOutcome } from './compile-check.js';
import { disposeOffThread } from './dispose.js';
import { HARDEN_CONTEXT } from './harden.js';
import { loadIvm } from './load-ivm.js';
import { IsolateMaker } from './maker.js';
import { compileError, decode, disposedError, FILENAME, messageOf, oneLine, outOfMemory, RUNNER, timedOut } from './protocol.js';

/** An isolate's heap limit, and the size of one slot of the budget: no isolate may have more. */
export const ISOLATE_MEMORY_MB = 128;
/** Total heap of the isolates alive at once when the composition root sets none (ASSAY_SANDBOX_MEMORY_MB). */
export const DEFAULT_SANDBOX_MEMORY_MB = 1024;

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** The live isolate behind a compiled function; recreated after a timeout, a memory kill or a reclaim. */
interface Live {
  isolate: ivm.Isolate;
  context: ivm.Context;
  runner: ivm.Reference<(argsJson: string) => Promise<string>>;
  /** Its place in the budget, held until the isolate is disposed. */
  slot: Slot;
  /** Why we disposed it ourselves during a call, if we did (otherwise a disposal means the memory limit). */
  killedFor?: 'timeout' | 'abort' | 'dispose';
}

export interface IsolatedSandboxOptions {
  /**
   * Total heap, MB, of the isolates alive at once across every run and project of the process;
   * divided into isolates of ISOLATE_MEMORY_MB, rounded down (at least one).
   */
  memoryBudgetMb?: number;
}

/** What the sandbox has counted, for tests and gauges. */
export interface SandboxStats {
  /** Isolates the budget allows at once. */
  limit: number;
  /** Isolates one owner (a project) may have at once: half the budget. */
  perOwner: number;
  /** Isolates running user code that exist (created and not disposed) right now. */
  alive: number;
  /** The most such isolates that existed at once. */
  peak: number;
  /** Calls waiting for a slot. */
  waiting: number;
}

/**
 * Isolates for user code; one isolate per compiled function while it has a slot of the budget.
 * The composition root makes one for the process, so its budget bounds the whole process.
 */
export class IsolatedSandbox implements SandboxFactory {
  private readonly budget: IsolateBudget;
  private readonly checker = new CompileChecker();
  private readonly maker = new IsolateMaker();
  /** Every isolate created for user code and not yet seen disposed: counted apart from the budget. */
  private readonly isolates = new Set<ivm.Isolate>();
  private peak = 0;

  constructor(options: IsolatedSandboxOptions = {}) {
    const budgetMb = options.memoryBudgetMb ?? DEFAULT_SANDBOX_MEMORY_MB;
    this.budget = new IsolateBudget(budgetMb / ISOLATE_MEMORY_MB);
  }

  /**
   * Checks that the code compiles; the isolate that runs it is made on the first call. Code
   * compiled here has no owner, so no share: projects' code comes through `forOwner`.
   */
  compile(body: string, options: SandboxOptions): Promise<SandboxFunction> {
    return this.compileFor(null, body, options);
  }

  /**
   * The sandbox as one owner (a project) sees it: its functions' isolates count towards the
   * owner's share of the budget (budget.ts), so one project cannot hold every slot.
   */
  forOwner(owner: string): SandboxFactory {
    return { compile: (body, options) => this.compileFor(owner, body, options) };
  }

  private async compileFor(owner: string | null, body: string, options: SandboxOptions): Promise<SandboxFunction> {
    // isolated-vm's minimum is 8 MB; a slot holds no more than ISOLATE_MEMORY_MB.
    const memoryMb = Math.min(ISOLATE_MEMORY_MB, Math.max(8, options.memoryMb ?? ISOLATE_MEMORY_MB));
    const outcome = await this.check(body, options.params);
    switch (outcome.status) {
      case 'unavailable':
        throw new CallError(outcome.message, { retryable: false });
      case 'compile_error':
        throw outcome.error;
      // `unchecked`: the checker failed on its own account; the isolate that runs the code
      // compiles it anyway and reports a compile error there (IsolatedFunction.create).
      case 'compiles':
      case 'unchecked':
        return new IsolatedFunction(outcome.script, outcome.lines, memoryMb, options.timeoutMs, {
          owner,
          budget: this.budget,
          maker: this.maker,
          created: (isolate) => this.created(isolate),
        });
      default:
        return assertNever(outcome);
    }
  }

  /**
   * Compiles `body` exactly as `compile` does, and makes nothing to run it: for save-time checks
   * (config/document-checks.ts). Takes no slot; the compiling runs off the main thread.
   */
  check(body: string, params: readonly string[]): Promise<CompileOutcome> {
    return this.checker.compileBody(body, params);
  }

  /** The isolates alive now and at most so far, counted from the isolates themselves. */
  stats(): SandboxStats {
    for (const isolate of this.isolates) if (isolate.isDisposed) this.isolates.delete(isolate);
    return { limit: this.budget.limit, perOwner: this.budget.perOwner, alive: this.isolates.size, peak: this.peak, waiting: this.budget.waiting };
  }

  private created(isolate: ivm.Isolate): void {
    // The count only grows here, so the peak taken here is exact.
    this.peak = Math.max(this.peak, this.stats().alive + 1);
    this.isolates.add(isolate);
  }
}

/** What a function needs from its sandbox. */
interface Shared {
  /** Whose share of the budget the function's isolate counts in (null: the process's own code, no share). */
  owner: string | null;
  budget: IsolateBudget;
  maker: IsolateMaker;
  created(isolate: ivm.Isolate): void;
}

class IsolatedFunction implements SandboxFunction {
  private live: Live | undefined;
  /** Loading the code failed (its top level threw or timed out): final, like a compile error. */
  private loadError: CallError | undefined;
  /** Calls run one at a time (an isolate runs one thing at a time anyway); this is the tail. */
  private tail: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly script: string,
    private readonly lines: number,
    private readonly memoryMb: number,
    private readonly timeoutMs: number,
    private readonly shared: Shared,
  ) {}

  /**
   * The isolate for one call, pinned in its slot: the one the last call left, or a new one in a
   * slot waited for under `signal` (a wait that counts against the caller's deadline, not
   * against `timeoutMs`, which is the code's own running time).
   */
  private async start(signal: AbortSignal): Promise<Live> {
    const warm = this.live;
    if (warm && !warm.isolate.isDisposed && warm.slot.busy()) return warm;
    if (this.loadError) throw this.loadError;
    let live: Live | undefined;
    const slot = await this.shared.budget.acquire(this.shared.owner, () => {
      // Taken back only while idle, so after `live` was set.
      if (live) disposeOffThread(live.isolate, live.context);
    }, signal);
    try {
      if (this.disposed) throw disposedError();
      live = await this.create(slot);
      if (this.disposed) throw disposedError();
      this.live = live;
      return live;
    } catch (error) {
      if (live) disposeOffThread(live.isolate, live.context);
      slot.release();
      throw error;
    }
  }

  private async create(slot: Slot): Promise<Live> {
    let isolate: ivm.Isolate;
    try {
      isolate = await this.shared.maker.create(await loadIvm(), this.memoryMb);
    } catch (error) {
      // The sandbox's trouble, not the code's: the next call tries again.
      throw new CallError(`code sandbox failed: ${oneLine(messageOf(error))}`, { retryable: false });
    }
    this.shared.created(isolate);
    let context: ivm.Context | undefined;
    try {
      context = await isolate.createContext();
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
      return { isolate, context, runner, slot };
    } catch (error) {
      disposeOffThread(isolate, context);
      const failure = error instanceof CallError ? error : new CallError(`code could not be loaded: ${oneLine(messageOf(error))}`, { retryable: false });
      if (!this.disposed) this.loadError = failure;
      throw failure;
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
    return this.callJson(argsJson, signal);
  }

  callJson(argsJson: string, signal: AbortSignal): Promise<unknown> {
    if (signal.aborted) return Promise.reject(abortReason(signal));
    const run = this.tail.then(() => this.runOne(argsJson, signal));
    this.tail = run.catch(() => undefined);
    // A call still waiting behind others (or for a slot) rejects as soon as its signal aborts.
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(abortReason(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      run.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async runOne(argsJson: string, signal: AbortSignal): Promise<unknown> {
    if (signal.aborted) throw abortReason(signal);
    if (this.disposed) throw disposedError();
    const live = await this.start(signal);
    let timer: NodeJS.Timeout | undefined;
    const started = performance.now();
    const kill = (why: NonNullable<Live['killedFor']>): void => {
      live.killedFor ??= why;
      disposeOffThread(live.isolate, live.context);
    };
    const onAbort = (): void => kill('abort');
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Aborted while the isolate was being made: nothing ran, so the isolate stays.
      if (signal.aborted) throw abortReason(signal);
      // The isolate's own timeout covers synchronous code and its microtasks; the host timer
      // also catches async code waiting on a promise that never settles. Either way the
      // isolate is disposed and the next call starts a fresh one.
      timer = setTimeout(() => kill('timeout'), this.timeoutMs);
      const tagged = await live.runner.apply(undefined, [argsJson], { result: { promise: true }, timeout: this.timeoutMs });
      // The code has answered: its time limit no longer applies while the answer is decoded.
      clearTimeout(timer);
      return await decode(tagged, this.memoryMb);
    } catch (error) {
      if (error instanceof CallError) throw error;
      if (signal.aborted) throw abortReason(signal);
      throw this.failure(live, error, performance.now() - started);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (live.isolate.isDisposed) live.slot.release();
      else live.slot.idle();
    }
  }

  /** Classifies an infrastructure failure by the isolate's state, not by the error's text. */
  private failure(live: Live, error: unknown, elapsedMs: number): CallError {
    if (live.killedFor === 'timeout') return timedOut(this.timeoutMs);
    if (live.killedFor === 'dispose') return disposedError();
    if (live.isolate.isDisposed) return outOfMemory(this.memoryMb);
    // Still alive: most likely isolated-vm's own timeout terminated the script (it fires at
    // the same moment as our timer). Either way start afresh next time: a terminated async
    // function can leave the context half-finished.
    live.killedFor = 'timeout';
    disposeOffThread(live.isolate, live.context);
    if (elapsedMs >= this.timeoutMs * 0.9) return timedOut(this.timeoutMs);
    return new CallError(`code sandbox failed: ${oneLine(messageOf(error))}`, { retryable: false });
  }

  dispose(): void {
    this.disposed = true;
    const live = this.live;
    this.live = undefined;
    if (!live) return;
    if (!live.isolate.isDisposed) {
      live.killedFor ??= 'dispose';
      // Disposed between calls, or (the run ended) during one.
      disposeOffThread(live.isolate, live.context);
    }
    live.slot.release();
  }
}
