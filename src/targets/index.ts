// The TargetFactory the composition root wires into the engine: one adapter per target type.
import { assertNever } from '../core/errors.js';
import type { TargetFactory } from '../core/model/adapters.js';
import type { PromptTarget } from '../core/model/experiment.js';
import { CallError, type TargetAdapter } from '../core/model/results.js';
import { createCodeTarget } from './code.js';
import { createHttpTarget } from './http.js';

export { createCodeTarget } from './code.js';
export { createHttpTarget } from './http.js';

/**
 * Placeholder until model providers exist: every call fails with a clear, final error.
 * The models work replaces this one function (and its case below).
 */
function createPromptTarget(_spec: PromptTarget): TargetAdapter {
  return {
    call() {
      return Promise.reject(new CallError('prompt targets need a model provider; they arrive with the models issue', { retryable: false }));
    },
  };
}

export const createTarget: TargetFactory = (spec, deps) => {
  switch (spec.type) {
    case 'prompt':
      return createPromptTarget(spec);
    case 'http':
      return createHttpTarget(spec, deps);
    case 'code':
      return createCodeTarget(spec, deps);
    default:
      return assertNever(spec, 'target type');
  }
};
