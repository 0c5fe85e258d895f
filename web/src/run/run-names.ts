// The names the run page shows for targets and evaluators, taken from the run's experiment
// document once its owner is found, so a live run's header names its evaluators before any
// result has come. Kept apart from RunStore: what names what is decided here and in RunModel.
import type { ExperimentBody } from '../api-types.js';
import { api } from '../api.js';
import type { RunModel } from './run-model.js';

/**
 * Names from the experiment's document. An evaluator without a name there is called by its
 * type's catalogue name, as results name it; the catalogue is asked only then (`named` is
 * called once its names are in the model). `ran`: the run's evaluators, in its order.
 */
export function nameFrom(model: RunModel, experiment: ExperimentBody, ran: readonly string[] | undefined, named: () => void): void {
  // The run's evaluators, in its order (the document may have changed since it started).
  const all = experiment.document.evaluators ?? [];
  const evaluators = ran ? ran.map((id) => all.find((e) => e.id === id)).filter((e) => e !== undefined) : all;
  model.setNames(experiment.document.targets, evaluators);
  const unnamed = evaluators.filter((e) => !e.name && model.evaluatorName(e.id) === e.id);
  if (unnamed.length === 0) return;
  void api()
    .evaluatorCatalogue()
    .then(({ evaluators: catalogue }) => {
      const names = new Map<string, string>();
      for (const c of catalogue) for (const type of [c.id, ...c.aliases]) names.set(type, c.name);
      model.setNames([], unnamed.map((e) => ({ id: e.id, name: names.get(e.type) })));
      named();
    })
    // The ids stay until the results name them.
    .catch(() => undefined);
}
