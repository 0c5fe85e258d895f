// The shape of a run that observers may label metrics by: each target's type (and model), each
// evaluator's catalogue type. Experiment ids are the author's words; types are a closed set.
import type { ExperimentDocument } from '../../core/model/experiment.js';
import type { RunShape } from '../../core/observe.js';
import type { EvaluatorCatalogue } from './prepare.js';

export function runShape(doc: ExperimentDocument, total: number, catalogue: EvaluatorCatalogue): RunShape {
  const targets = new Map<string, { type: 'prompt' | 'http' | 'code'; model?: string }>();
  for (const t of doc.targets) targets.set(t.id, t.type === 'prompt' ? { type: t.type, model: t.model } : { type: t.type });
  const evaluators = new Map<string, string>();
  const informational = new Set<string>();
  for (const e of doc.evaluators) {
    evaluators.set(e.id, catalogue.find(e.type)?.id ?? 'unknown');
    if (e.weight === 0) informational.add(e.id);
  }
  return { total, targets, evaluators, informational };
}
