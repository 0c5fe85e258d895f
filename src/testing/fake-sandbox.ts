// A SandboxFactory for unit tests, built on node:vm. TEST-ONLY and NOT SECURE: node:vm is no
// security boundary (user code can reach the host through prototype tricks), and it shares
// the host's heap, so `memoryMb` is ignored. It does honour the parts of the contract tests
// rely on: named `params`, `timeoutMs` (synchronous code), the AbortSignal, JSON copying both
// ways, and CallError on compile failure.
import vm from 'node:vm';
import type { SandboxFactory, SandboxFunction, SandboxOptions } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';

/** The fake plus counters tests can assert on (e.g. "compiled once per run"). */
export interface FakeSandbox extends SandboxFactory {
  readonly stats: { compiles: number; calls: number; disposed: number };
}

function messageOf(thrown: unknown): string {
  // Errors thrown inside the context belong to another realm: `instanceof Error` is false.
  if (typeof thrown === 'object' && thrown !== null && 'message' in thrown) {
    const { name, message } = thrown as { name?: unknown; message: unknown };
    return typeof name === 'string' ? `${name}: ${String(message)}` : String(message);
  }
  return String(thrown);
}

function abortError(signal: AbortSignal): CallError {
  return new CallError('sandboxed call aborted', { retryable: false, cause: signal.reason });
}

/** A fresh fake with zeroed counters; each compiled function gets its own vm context. */
export function createFakeSandbox(): FakeSandbox {
  const stats = { compiles: 0, calls: 0, disposed: 0 };

  async function compile(body: string, options: SandboxOptions): Promise<SandboxFunction> {
    stats.compiles += 1;
    const context = vm.createContext({});
    let fn: unknown;
    try {
      // compileFunction parses the body on its own, so it cannot close the wrapper early.
      fn = vm.compileFunction(body, options.params, { parsingContext: context });
    } catch (error) {
      throw new CallError(messageOf(error), { retryable: false });
    }
    context['__fn'] = fn;
    let disposed = false;

    const fake: SandboxFunction = {
      call(args, signal) {
        return fake.callJson(JSON.stringify(args.map((a) => (a === undefined ? null : a))), signal);
      },
      async callJson(argsJson, signal) {
        if (disposed) throw new CallError('sandboxed function was disposed', { retryable: false });
        if (signal.aborted) throw abortError(signal);
        stats.calls += 1;
        // Arguments go in as JSON text and are parsed inside the context: no host objects leak in.
        context['__args'] = argsJson;
        let result: unknown;
        try {
          result = vm.runInContext('__fn(...JSON.parse(__args))', context, { timeout: options.timeoutMs });
        } catch (error) {
          if ((error as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
            throw new CallError(`timed out after ${options.timeoutMs} ms`, { retryable: false });
          }
          throw new CallError(messageOf(error), { retryable: false });
        }
        if (typeof (result as { then?: unknown } | null)?.then === 'function') {
          result = await settle(result as PromiseLike<unknown>, options.timeoutMs, signal);
        }
        const text = JSON.stringify(result);
        return text === undefined ? undefined : JSON.parse(text);
      },
      dispose() {
        if (!disposed) stats.disposed += 1;
        disposed = true;
      },
    };
    return fake;
  }

  return { compile, stats };
}

/** Waits for an async result, bounded by the time limit and the signal. */
function settle(promise: PromiseLike<unknown>, timeoutMs: number, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new CallError(`timed out after ${timeoutMs} ms`, { retryable: false }))), timeoutMs);
    const onAbort = (): void => finish(() => reject(abortError(signal)));
    signal.addEventListener('abort', onAbort, { once: true });
    function finish(settleWith: () => void): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      settleWith();
    }
    promise.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(new CallError(messageOf(error), { retryable: false }))),
    );
  });
}
