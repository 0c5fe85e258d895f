// Builds a run's targets and evaluators from its experiment document, through the factories
// the composition root provides. Problems become per-cell errors, never a crashed run.
import type { EvaluatorDefinition, EvaluatorDeps, TargetDeps, TargetFactory } from '../../core/model/adapters.js';
import type { ExperimentDocument } from '../../core/model/experiment.js';
import { CallError, type EvaluatorInstance, type TargetAdapter } from '../../core/model/results.js';
import type { RunSpec } from '../../core/model/run.js';
import type { PreparedEvaluator, PreparedTarget } from '../../core/engine/cell.js';
import type { PreparedRowEvaluator } from '../../core/engine/row-phase.js';

/** The catalogue as the app layer sees it. */
export interface EvaluatorCatalogue {
  find(type: string): EvaluatorDefinition | undefined;
}

function failingTarget(message: string): TargetAdapter {
  return { call: async () => Promise.reject(new CallError(message, { retryable: false })) };
}

function failingEvaluator(details: string): EvaluatorInstance {
  return { evaluate: async () => ({ status: 'error', details, errorType: 'MisconfiguredEvaluator' }) };
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

/** Row-scoped evaluators of the run: each compares its `targets` (default: all the run's targets). */
export function prepareRowEvaluators(doc: ExperimentDocument, spec: RunSpec, catalogue: EvaluatorCatalogue, deps: EvaluatorDeps): PreparedRowEvaluator[] {
  return spec.evaluatorIds
    .filter((id) => isRowScoped(doc, id, catalogue))
    .map((id) => {
      const e = doc.evaluators.find((x) => x.id === id)!;
      const definition = catalogue.find(e.type)!;
      const variants = (e.targets ?? spec.targetIds).filter((t) => spec.targetIds.includes(t));
      const settings = definition.settings.safeParse(e.settings ?? {});
      let instance: EvaluatorInstance;
      try {
        instance = settings.success ? definition.create(settings.data, deps) : failingEvaluator(`invalid settings: ${settings.error.issues[0]?.message}`);
      } catch (error) {
        instance = failingEvaluator(error instanceof Error ? error.message : String(error));
      }
      return { id, name: e.name ?? definition.name, variants, inputs: e.inputs, negate: e.negate ?? false, threshold: e.threshold, instance };
    });
}

export function prepareEvaluators(doc: ExperimentDocument, spec: RunSpec, catalogue: EvaluatorCatalogue, deps: EvaluatorDeps): PreparedEvaluator[] {
  return spec.evaluatorIds.filter((id) => !isRowScoped(doc, id, catalogue)).map((id) => {
    const e = doc.evaluators.find((x) => x.id === id);
    const base = {
      id,
      name: e?.name ?? id,
      targets: e?.targets ? new Set(e.targets) : null,
      inputs: e?.inputs,
      negate: e?.negate ?? false,
      threshold: e?.threshold,
    };
    const definition = e ? catalogue.find(e.type) : undefined;
    if (!e || !definition) {
      return { ...base, stringInputs: [], instance: failingEvaluator(`unknown evaluator type "${e?.type ?? id}"`) };
    }
    const settings = definition.settings.safeParse(e.settings ?? {});
    if (!settings.success) {
      return { ...base, stringInputs: definition.stringInputs, instance: failingEvaluator(`invalid settings: ${settings.error.issues[0]?.message}`) };
    }
    let instance: EvaluatorInstance;
    try {
      instance = definition.create(settings.data, deps);
    } catch (error) {
      instance = failingEvaluator(error instanceof Error ? error.message : String(error));
    }
    return { ...base, name: e.name ?? definition.name, stringInputs: definition.stringInputs, instance };
  });
}

/** Releases sandboxes and sockets held by a run's adapters. */
export async function disposeAll(targets: PreparedTarget[], evaluators: { instance: EvaluatorInstance }[]): Promise<void> {
  await Promise.allSettled([...targets.map((t) => t.adapter.dispose?.()), ...evaluators.map((e) => e.instance.dispose?.())]);
}
