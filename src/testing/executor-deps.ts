// ExecutorDeps for the run machinery's tests (executor, host, sharded runs, running time): a test
// names its stores, its clock, its targets and its evaluators, and overrides whatever else it
// looks at; the rest is a fresh in-process bus, the fake sandbox, no models and no per-key limits.
import type { ExecutorDeps } from '../app/runs/executor.js';
import type { TargetDeps } from '../core/model/adapters.js';
import { silentLogger } from '../core/ports.js';
import { InProcessEventBus } from '../queue/event-bus.js';
import { createFakeSandbox } from './fake-sandbox.js';
import { noModels } from './no-models.js';

/** What a test gives testExecutorDeps: the four parts every test has its own of, and any overrides. */
export type TestExecutorDepsInput = Pick<ExecutorDeps, 'stores' | 'clock' | 'createTarget' | 'catalogue'> & Partial<ExecutorDeps>;

/** ExecutorDeps with the defaults above, `random` fixed at 0, a 15 s lease and a 250 ms poll, unless `deps` says otherwise. */
export function testExecutorDeps(deps: TestExecutorDepsInput): ExecutorDeps {
  return {
    bus: new InProcessEventBus(),
    logger: silentLogger,
    evaluatorDeps: async () => ({ sandbox: createFakeSandbox(), models: noModels }),
    targetDeps: async (): Promise<TargetDeps> => ({ sandbox: createFakeSandbox(), secrets: {}, allowPrivateNetworks: true, models: noModels, cache: null }),
    limiter: { acquire: async () => () => {} },
    random: () => 0,
    leaseMs: 15_000,
    pollMs: 250,
    ...deps,
  };
}
