// Compile errors found without taking a slot of the sandbox budget (budget.ts): one small
// isolate, shared by every compile, that compiles code and never runs any. `compile` has no
// signal to wait for a slot under, and a compile error must still surface from `compile`
// (custom code evaluators report it as `compile_error`), so checking here lets the isolate
// that runs the code be created on the first call, under that call's signal.
import type ivm from 'isolated-vm';

/**
 * Heap of the checking isolate. Compiling is all it does: a 520 KB body (2.6 times the largest
 * code target) used 1.8 MB of heap.
 */
export const CHECK_MEMORY_MB = 16;

/** Compiles scripts in one isolate of its own, created on first use and again if it died. */
export class CompileChecker {
  private isolate: ivm.Isolate | undefined;

  /** Resolves when `script` compiles; otherwise rejects with isolated-vm's error. */
  async check(module: typeof ivm, script: string, options: ivm.ScriptOrigin): Promise<void> {
    if (!this.isolate || this.isolate.isDisposed) this.isolate = new module.Isolate({ memoryLimit: CHECK_MEMORY_MB });
    const compiled = await this.isolate.compileScript(script, options);
    compiled.release();
  }
}
