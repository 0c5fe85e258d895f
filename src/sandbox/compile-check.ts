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
import { compileError, FILENAME, messageOf, oneLine, wrap } from './protocol.js';

/**
 * Heap of the checking isolate. Compiling is all it does: a 520 KB body (2.6 times the largest
 * code target) used 1.8 MB of heap.
 */
export const CHECK_MEMORY_MB = 16;

/**
 * A body compiled as the sandbox compiles it: its wrapped script, or why not. `unavailable`
 * means isolated-vm could not be loaded (nothing was compiled), not that the code is wrong.
 */
export type CompileOutcome =
  | { status: 'compiles'; script: string; lines: number }
  | { status: 'compile_error'; error: CallError }
  | { status: 'unavailable'; message: string };

/** Compiles scripts in one isolate of its own, created on first use and again if it died. */
export class CompileChecker {
  private isolate: ivm.Isolate | undefined;

  /** Resolves when `script` compiles; otherwise rejects with isolated-vm's error. */
  async check(module: typeof ivm, script: string, options: ivm.ScriptOrigin): Promise<void> {
    if (!this.isolate || this.isolate.isDisposed) this.isolate = new module.Isolate({ memoryLimit: CHECK_MEMORY_MB });
    const compiled = await this.isolate.compileScript(script, options);
    compiled.release();
  }

  /**
   * Wraps a user's function body (protocol.ts `wrap`) and compiles it. Any failure to compile
   * counts as the code's, as it does at run time (V8 also refuses deep nesting with a
   * RangeError, not a SyntaxError). The compiling happens on the isolate's thread.
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
    try {
      await this.check(module, script, { filename: FILENAME, lineOffset: -1 });
    } catch (error) {
      return { status: 'compile_error', error: compileError(error, lines) };
    }
    return { status: 'compiles', script, lines };
  }
}
