// The TargetFactory the composition root wires into the engine: one adapter per target type.
import { assertNever } from '../core/errors.js';
import type { TargetFactory } from '../core/model/adapters.js';
import { createCodeTarget } from './code.js';
import { createHttpTarget } from './http.js';
import { createPromptTarget } from './prompt.js';

export { createCodeTarget } from './code.js';
export { createHttpTarget } from './http.js';
export { createPromptTarget } from './prompt.js';

export const createTarget: TargetFactory = (spec, deps) => {
  switch (spec.type) {
    case 'prompt':
      return createPromptTarget(spec, deps);
    case 'http':
      return createHttpTarget(spec, deps);
    case 'code':
      return createCodeTarget(spec, deps);
    default:
      return assertNever(spec, 'target type');
  }
};
