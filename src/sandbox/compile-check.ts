// Compile errors found without taking a slot of the sandbox budget (budget.ts): one small
// isolate, shared by every compile, that compiles code and never runs any. `compile` has no
// signal to wait for a slot under, and a compile error must still surface from `compile`
// (custom code evaluators report it as `compile_error`), so checking here lets the isolate
// that runs the code be created on the first call, under that call's signal. Saving an
// experiment asks the same question (config/document-checks.ts), so the answer comes from one
// place: what this accepts at save time is exactly what a run compiles.
import type ivm from 'isolated-vm';
import type { CallError } from '../core/model/results.js';
import { loadIvm } from './load-ivm.js';
import { disposeOffThread } from './dispose.js';
import { compileError, FILENAME, messageOf, oneLine, wrap } from './protocol.js';

/**
 * Heap of the checking isolate. Compiling is all it does: a 520 KB body (2.6 times the largest
 * code target) used 1.8 MB of heap. What compiled scripts leave is collected only now and then,
 * so the isolate is replaced once its heap passes RENEW_AT_MB (below).
 */
export const CHECK_MEMORY_MB = 16;
/** Heap use after a compile past which the checking isolate is replaced by a fresh one. */
const RENEW_AT_MB = 8;

/**
 * A body compiled as the sandbox compiles it: its wrapped script, or why not. `unavailable`
 * means isolated-vm could not be loaded (nothing was compiled), not that the code is wrong.
 * `unchecked`: the checker itself failed twice (its isolate ran out of memory on this body),
 * which says nothing about the code either; the isolate that runs it compiles it again.
 */
export type CompileOutcome =
  | { status: 'compiles'; script: string; lines: number }
  | { status: 'compile_error'; error: CallError }
  | { status: 'unavailable'; message: string }
  | { status: 'unchecked'; script: string; lines: number };

/** V8's own verdicts on a script (a syntax error; nesting too deep to parse); anything else is the checker's trouble. */
function isVerdict(error: unknown): boolean {
  return error instanceof Error && (error.name === 'SyntaxError' || error.name === 'RangeError');
}

/**
 * Compiles scripts in one isolate of its own, one script at a time. Shared by every project's
 * saves and runs, so its own failures (out of memory after many large compiles, disposed)
 * must never read as anyone's compile error: they are retried once on a fresh isolate.
 */
export class CompileChecker {
  private isolate: ivm.Isolate | undefined;
  /** The tail of the compiles queued on the isolate: concurrent compiles ran it out of memory. */
  private tail: Promise<unknown> = Promise.resolve();

  /** Resolves when `script` compiles; otherwise rejects with isolated-vm's error. */
  check(module: typeof ivm, script: string, options: ivm.ScriptOrigin): Promise<void> {
    const compiled = this.tail.then(() => this.compileNow(module, script, options));
    this.tail = compiled.catch(() => undefined);
    return compiled;
  }

  private async compileNow(module: typeof ivm, script: string, options: ivm.ScriptOrigin): Promise<void> {
    if (!this.isolate || this.isolate.isDisposed) this.isolate = new module.Isolate({ memoryLimit: CHECK_MEMORY_MB });
    const isolate = this.isolate;
    const compiled = await isolate.compileScript(script, options);
    compiled.release();
    if ((await isolate.getHeapStatistics()).used_heap_size > RENEW_AT_MB * 1024 * 1024) this.renew(isolate);
  }

  /** Drops `isolate` (if still the checker's) so the next compile starts on a fresh one. */
  private renew(isolate: ivm.Isolate): void {
    if (this.isolate === isolate) this.isolate = undefined;
    disposeOffThread(isolate);
  }

  /**
   * Wraps a user's function body (protocol.ts `wrap`) and compiles it. V8's verdicts count as the
   * code's, as they do at run time (deep nesting is a RangeError, not a SyntaxError). The
   * compiling happens on the isolate's thread.
   */
  async compileBody(body: string, params: readonly string[]): Promise<CompileOutcome> {
    const script = wrap(body, params);
    const lines = body.split('\n').length;
    let module: typeof ivm;
    try {
      module = await loadIvm();
    } catch (error) {
      return { status: 'unavailable', message: `code could not be loaded: ${oneLine(messageOf(error))}` };
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.check(module, script, { filename: FILENAME, lineOffset: -1 });
        return { status: 'compiles', script, lines };
      } catch (error) {
        if (isVerdict(error)) return { status: 'compile_error', error: compileError(error, lines) };
        // The checker's trouble, not the code's: once more on a fresh isolate.
        if (this.isolate) this.renew(this.isolate);
      }
    }
    return { status: 'unchecked', script, lines };
  }
}
