// The evaluator worker (a Piscina task handler): re-creates the evaluator from its catalogue id
// and parsed settings, keeps the instance for later tasks, and evaluates. Its deps carry no
// offload port, so the guard in ./guard.ts runs everything inline here: a worker never offloads.
// Offloaded evaluators are offline ones: they get no sandbox, no models and no row. A worker
// imports an evaluator's module when its first task for it comes (./worker-catalogue.ts), not
// the whole catalogue at start.
import type { EvaluatorDeps, ModelClient, OffloadedEvaluation, SandboxFactory } from '../../core/model/adapters.js';
import type { EvaluationResult, EvaluatorInstance } from '../../core/model/results.js';
import { decodeInputs } from './codec.js';
import { lowerThisThread } from './priority.js';
import { loadWorkerEvaluator } from './worker-catalogue.js';

/**
 * Whether this thread runs at the lower priority yet. Loading is Assay's own work and runs at the
 * server's priority; evaluating a project's inputs runs at the lower one (./priority.ts). The
 * first task's evaluator module (with zod and the modules most evaluators share) is the bulk of
 * a worker's loading, so the thread lowers itself once that is loaded, before it evaluates; an
 * evaluator first sent later loads its own module at the lower priority, as the libraries an
 * evaluator loads on first use do.
 */
let lowered = false;

const unavailable = (what: string) => () => Promise.reject(new Error(`${what} is not available in the evaluator worker`));

const sandbox: SandboxFactory = { compile: unavailable('the code sandbox') };
const models: ModelClient = {
  generate: unavailable('a model'),
  embed: unavailable('a model'),
  moderate: unavailable('a model'),
  unavailable: () => Promise.resolve('models are not available in the evaluator worker'),
};
const deps: EvaluatorDeps = { sandbox, models };

/** Instances by evaluator id and settings, most recently used last. Runs reuse their settings on every row. */
const instances = new Map<string, EvaluatorInstance>();
const MAX_INSTANCES = 64;

async function instanceFor(task: OffloadedEvaluation): Promise<EvaluatorInstance> {
  const key = `${task.evaluatorId}\n${task.settingsKey}`;
  const hit = instances.get(key);
  if (hit) {
    instances.delete(key);
    instances.set(key, hit);
    return hit;
  }
  let def;
  try {
    def = await loadWorkerEvaluator(task.evaluatorId);
  } finally {
    if (!lowered) {
      lowered = true;
      lowerThisThread();
    }
  }
  if (!def) throw new Error(`unknown evaluator ${task.evaluatorId}`);
  const instance = def.create(task.settings, deps);
  instances.set(key, instance);
  for (const [oldest, dropped] of instances) {
    if (instances.size <= MAX_INSTANCES) break;
    instances.delete(oldest);
    void dropped.dispose?.();
  }
  return instance;
}

/** Piscina calls the default export with each task. A worker is terminated, not signalled, when its task is aborted. */
export default async function evaluate(task: OffloadedEvaluation): Promise<EvaluationResult> {
  const inputs = decodeInputs({ values: task.inputs, json: task.jsonInputs });
  const instance = await instanceFor(task);
  return instance.evaluate(inputs, { row: {}, target: task.target, signal: new AbortController().signal });
}
