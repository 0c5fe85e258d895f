// Builds a run's targets and evaluators from its experiment document, through the factories
// the composition root provides. Problems become per-cell errors, never a crashed run.
import type { EvaluatorDefinition, EvaluatorDeps, TargetDeps, TargetFactory } from '../../core/model/adapters.js';
import type { ExperimentDocument } from '../../core/model/experiment.js';
import { CallError, type EvaluatorInstance, type TargetAdapter } from '../../core/model/results.js';
import type { RunSpec } from '../../core/model/run.js';
import type { PreparedEvaluator, PreparedTarget } from '../../core/engine/cell.js';
import type { PreparedRowEvaluator } from '../../core/engine/row-phase.js';
import { type BoundEvaluator, bindEvaluator, failingEvaluator } from '../../core/engine/evaluate.js';

/** The catalogue as the app layer sees it. */
export interface EvaluatorCatalogue {
  find(type: string): EvaluatorDefinition | undefined;
}

function failingTarget(message: string): TargetAdapter {
  return { call: async () => Promise.reject(new CallError(message, { retryable: false })) };
}

export function prepareTargets(doc: ExperimentDocument, spec: RunSpec, createTarget: TargetFactory, deps: TargetDeps): PreparedTarget[] {
  return spec.targetIds.map((id) => {
    const t = doc.targets.find((x) => x.id === id);
    if (!t) return { id, name: id, adapter: failingTarget(`target "${id}" is not in experiment version ${spec.experimentVersion}`) };
    let adapter: TargetAdapter;
    try {
      adapter = createTarget(t, deps);
    } catch (error) {
      adapter = failingTarget(error instanceof Error ? error.message : String(error));
    }
    return { id, name: t.name ?? t.id, adapter };
  });
}

/** True for evaluators that compare the targets of a row (phase 2) rather than judge a cell. */
export function isRowScoped(doc: ExperimentDocument, id: string, catalogue: EvaluatorCatalogue): boolean {
  const e = doc.evaluators.find((x) => x.id === id);
  return e !== undefined && catalogue.find(e.type)?.scope === 'row';
}

/**
 * Per target, the run's cell-scoped evaluators that judge it (their `targets`, default all): a
 * cell whose target failed counts as failing each of them. Without the document, all of them.
 */
export function evaluatorsOfTarget(doc: ExperimentDocument | undefined, spec: Pick<RunSpec, 'evaluatorIds'>, catalogue: EvaluatorCatalogue): (targetId: string) => readonly string[] {
  const cache = new Map<string, string[]>();
  return (targetId) => {
    let ids = cache.get(targetId);
    if (!ids) {
      ids = spec.evaluatorIds.filter((id) => {
        if (!doc) return true;
        const e = doc.evaluators.find((x) => x.id === id);
        return !isRowScoped(doc, id, catalogue) && (!e?.targets || e.targets.includes(targetId));
      });
      cache.set(targetId, ids);
    }
    return ids;
  };
}

/** The run's evaluator spec of `id` bound to its instance (core/engine/evaluate.ts); a missing one fails every evaluation. */
function bind(doc: ExperimentDocument, id: string, catalogue: EvaluatorCatalogue, deps: EvaluatorDeps): BoundEvaluator {
  const spec = doc.evaluators.find((x) => x.id === id);
  if (!spec) return { id, name: id, inputs: undefined, stringInputs: [], negate: false, threshold: undefined, weight: 1, instance: failingEvaluator(`unknown evaluator "${id}"`) };
  return bindEvaluator(spec, (type) => catalogue.find(type), deps);
}

/** Row-scoped evaluators of the run: each compares its `targets` (default: all the run's targets). */
export function prepareRowEvaluators(doc: ExperimentDocument, spec: RunSpec, catalogue: EvaluatorCatalogue, deps: EvaluatorDeps): PreparedRowEvaluator[] {
  return spec.evaluatorIds
    .filter((id) => isRowScoped(doc, id, catalogue))
    .map((id) => {
      const e = doc.evaluators.find((x) => x.id === id)!;
      const variants = (e.targets ?? spec.targetIds).filter((t) => spec.targetIds.includes(t));
      return { ...bind(doc, id, catalogue, deps), variants };
    });
}

/** The real setImmediate, kept even if a test installs fake timers. */
const immediate = globalThis.setImmediate;
/** Creation time after which the next evaluator is created only once the event loop has run. */
const CREATE_SLICE_MS = 10;

/**
 * The run's cell-scoped evaluators, created in turns: a create() may compile a lot (1,000
 * competitor names into one pattern takes milliseconds) and an experiment may have 100, so once
 * a slice of creation time has gone by the event loop runs (requests, timers) before the next.
 */
export async function prepareEvaluators(doc: ExperimentDocument, spec: RunSpec, catalogue: EvaluatorCatalogue, deps: EvaluatorDeps): Promise<PreparedEvaluator[]> {
  const prepared: PreparedEvaluator[] = [];
  let sliceStart = performance.now();
  for (const id of spec.evaluatorIds) {
    if (isRowScoped(doc, id, catalogue)) continue;
    if (performance.now() - sliceStart >= CREATE_SLICE_MS) {
      await new Promise<void>((resolve) => immediate(resolve));
      sliceStart = performance.now();
    }
    const targets = doc.evaluators.find((x) => x.id === id)?.targets;
    prepared.push({ ...bind(doc, id, catalogue, deps), targets: targets ? new Set(targets) : null });
  }
  return prepared;
}

/** Releases sandboxes and sockets held by a run's adapters. */
export async function disposeAll(targets: PreparedTarget[], evaluators: { instance: EvaluatorInstance }[]): Promise<void> {
  await Promise.allSettled([...targets.map((t) => t.adapter.dispose?.()), ...evaluators.map((e) => e.instance.dispose?.())]);
}
