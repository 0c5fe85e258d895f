// A ModelClient for tests of things that must not call models: every model is unavailable.
import type { ModelClient } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';

export const noModels: ModelClient = {
  generate: async (call) => Promise.reject(new CallError(`no models in this test (${call.model})`, { retryable: false })),
  embed: async (call) => Promise.reject(new CallError(`no models in this test (${call.model})`, { retryable: false })),
  unavailable: async (model) => `no models in this test (${model})`,
  moderate: async (call) => Promise.reject(new CallError(`no models in this test (${call.model})`, { retryable: false })),
};
