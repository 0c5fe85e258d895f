// Save-time check of the models a document names (SPEC §4: invalid documents are refused at
// save time, never at run time). A provider that is neither built in nor registered — a typo
// ("opneai/gpt-4o"), or an OpenAI-compatible endpoint not registered yet — had been saved, and
// every cell of every run then failed with "unknown provider". A missing API key is not
// refused: the key is the server's or the provider settings' to give, and may come later.
import type { DocumentCheck } from '../app/experiments.js';
import type { Issue } from '../core/errors.js';
import type { ExperimentDocument } from '../core/model/experiment.js';
import { EVALUATOR_SET_ID } from '../evaluators/evaluator-set.js';
import { BUILT_IN, isKnownProvider, modelIdProblem, splitModel } from '../models/providers.js';

/** Evaluator settings that name a model (judges, embeddings); their defaults are built-in providers. */
const MODEL_SETTINGS = ['model', 'embeddings_model'] as const;

interface ModelPlace {
  path: (string | number)[];
  model: string;
}

interface SpecWithSettings {
  type: string;
  settings?: unknown;
}

function evaluatorModels(spec: SpecWithSettings, path: (string | number)[], out: ModelPlace[]): void {
  const settings = spec.settings;
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return;
  for (const key of MODEL_SETTINGS) {
    const value = (settings as Record<string, unknown>)[key];
    if (typeof value === 'string' && value.includes('/')) out.push({ path: [...path, 'settings', key], model: value });
  }
  if (spec.type === EVALUATOR_SET_ID) {
    const members = (settings as { evaluators?: SpecWithSettings[] }).evaluators ?? [];
    members.forEach((m, j) => evaluatorModels(m, [...path, 'settings', 'evaluators', j], out));
  }
}

/** Every model the document names explicitly, with its path. */
export function modelPlaces(doc: ExperimentDocument): ModelPlace[] {
  const out: ModelPlace[] = [];
  doc.targets.forEach((t, i) => {
    if (t.type === 'prompt') out.push({ path: ['targets', i, 'model'], model: t.model });
  });
  doc.evaluators.forEach((e, i) => evaluatorModels(e, ['evaluators', i], out));
  return out;
}

/** `baseUrlOf`: where calls to a provider would go for the project (ProviderService.baseUrlOf). */
export const modelProviderCheck =
  (baseUrlOf: (projectId: string, provider: string) => Promise<string | undefined>): DocumentCheck =>
  async (doc, project) => {
    const known = new Map<string, boolean>();
    const issues: Issue[] = [];
    for (const { path, model } of modelPlaces(doc)) {
      const { provider, modelId } = splitModel(model);
      const unsafe = modelIdProblem(modelId);
      if (unsafe) {
        issues.push({ path, message: unsafe });
        continue;
      }
      let ok = known.get(provider);
      if (ok === undefined) known.set(provider, (ok = isKnownProvider(provider, { baseUrl: await baseUrlOf(project.id, provider) })));
      if (!ok) {
        const shown = provider.length > 64 ? `${provider.slice(0, 64)}…` : provider;
        issues.push({
          path,
          message: `unknown provider "${shown}": the built-in ones are ${BUILT_IN.join(', ')}; register an OpenAI-compatible one first with PUT /api/providers/${shown} {"baseUrl": "https://…/v1"}`,
        });
      }
    }
    return issues;
  };
