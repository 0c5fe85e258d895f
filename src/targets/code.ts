// Code targets (SPEC §4, §8): a JavaScript function body of `(row, parameters)` run in the
// sandbox; its JSON return value is the output. Compiled once, on the first call.
import type { CodeTarget } from '../core/model/experiment.js';
import type { SandboxFunction, TargetDeps } from '../core/model/adapters.js';
import type { TargetAdapter, TargetOutput } from '../core/model/results.js';

/** Per-call time limit when the spec sets none. */
export const DEFAULT_CODE_TIMEOUT_MS = 10_000;
/** Parameter names the body sees, in call order (the save-time compile check uses them too). */
export const CODE_TARGET_PARAMS: readonly string[] = ['row', 'parameters'];

export function createCodeTarget(spec: CodeTarget, deps: TargetDeps): TargetAdapter {
  let compiled: Promise<SandboxFunction> | undefined;
  let disposed = false;

  function load(): Promise<SandboxFunction> {
    compiled ??= deps.sandbox.compile(spec.code, { params: [...CODE_TARGET_PARAMS], timeoutMs: spec.timeoutMs ?? DEFAULT_CODE_TIMEOUT_MS });
    // A compile error is final for this run: every call reports it, nothing recompiles.
    return compiled;
  }

  return {
    async call(input): Promise<TargetOutput> {
      const fn = await load();
      const output = await fn.call([input.row, input.parameters], input.signal);
      // Outputs are JSON values; a sandbox that hands back `undefined` means "nothing". The
      // sandbox reaches no network and no provider: a call costs nothing, and says so (no
      // cost at all read as "unpriced", and a run of code targets as "cost unknown").
      return { output: output === undefined ? null : output, cost: 0 };
    },
    async dispose() {
      if (disposed || compiled === undefined) return;
      disposed = true;
      const fn = await compiled.catch(() => undefined);
      fn?.dispose();
    },
  };
}
