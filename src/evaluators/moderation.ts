// OpenAI's moderation endpoint with LangWatch's `openai/moderation` settings: the model (the
// current omni model by default; LangWatch's legacy names still accepted) and one switch per
// category. Input and output are moderated in one call through the project's `openai`
// provider (ModelClient.moderate).
import { costFields } from './call-costs.js';
import { z } from 'zod';
import type { EvaluatorDefinition, ModerationResult } from '../core/model/adapters.js';
import type { EvaluationResult } from '../core/model/results.js';
import { modelCallFailed, modelUnavailable, textInput } from './inputs.js';

/** LangWatch's category keys and the names OpenAI answers with. */
export const MODERATION_CATEGORY_NAMES = {
  harassment: 'harassment',
  harassment_threatening: 'harassment/threatening',
  hate: 'hate',
  hate_threatening: 'hate/threatening',
  self_harm: 'self-harm',
  self_harm_instructions: 'self-harm/instructions',
  self_harm_intent: 'self-harm/intent',
  sexual: 'sexual',
  sexual_minors: 'sexual/minors',
  violence: 'violence',
  violence_graphic: 'violence/graphic',
} as const;
type CategoryKey = keyof typeof MODERATION_CATEGORY_NAMES;
const CATEGORY_KEYS = Object.keys(MODERATION_CATEGORY_NAMES) as CategoryKey[];

const MODELS = ['omni-moderation-latest', 'omni-moderation-2024-09-26', 'text-moderation-latest', 'text-moderation-stable'] as const;

const settings = z.object({
  model: z
    .enum(MODELS)
    .default('omni-moderation-latest')
    .describe("OpenAI moderation model; LangWatch's text-moderation-stable/-latest are OpenAI's legacy models"),
  categories: z
    .strictObject(Object.fromEntries(CATEGORY_KEYS.map((key) => [key, z.boolean().default(true)])) as Record<CategoryKey, z.ZodDefault<z.ZodBoolean>>)
    .refine((c) => Object.values(c).some(Boolean), 'enable at least one category')
    .default(Object.fromEntries(CATEGORY_KEYS.map((key) => [key, true])) as Record<CategoryKey, boolean>)
    .describe('Which categories make the evaluation fail when flagged; keys left out stay on'),
});

/** `moderation` / `openai/moderation`: fails when an enabled category is flagged; score = its highest score. */
export const moderation: EvaluatorDefinition<typeof settings> = {
  id: 'moderation',
  aliases: ['openai/moderation'],
  name: 'OpenAI Moderation',
  category: 'safety',
  description:
    "Checks the input and output with OpenAI's moderation endpoint (harassment, hate, self-harm, sexual, violence). " +
    'Fails when an enabled category is flagged; score is the highest score among the enabled categories.',
  requiredInputs: [],
  optionalInputs: ['input', 'output'],
  stringInputs: ['input', 'output'],
  settings,
  result: ['passed', 'score'],
  needsModel: true,
  create(s, deps) {
    const model = `openai/${s.model}`;
    const enabled = CATEGORY_KEYS.filter((key) => s.categories[key]).map((key) => MODERATION_CATEGORY_NAMES[key]);
    return {
      async evaluate(inputs, context): Promise<EvaluationResult> {
        const fields = (['input', 'output'] as const).flatMap((field) => {
          const text = textInput(inputs[field]);
          return text === undefined || text.trim() === '' ? [] : [{ field, text }];
        });
        if (fields.length === 0) return { status: 'skipped', details: 'input and output are both missing or empty: map at least one of them' };
        let result: ModerationResult;
        try {
          const reason = await deps.models.unavailable(model);
          if (reason !== null) return modelUnavailable(model, reason);
          result = await deps.models.moderate({ model, input: fields.map((f) => f.text), signal: context.signal });
        } catch (error) {
          return modelCallFailed(error, context.signal);
        }
        const cost = costFields(result.cost);
        if (result.results.length !== fields.length) {
          return { status: 'error', errorType: 'invalid_output', details: `${model} returned ${result.results.length} results for ${fields.length} texts`, ...cost };
        }
        let score: number | undefined;
        const flagged: string[] = [];
        fields.forEach((f, i) => {
          const verdict = result.results[i]!;
          for (const category of enabled) {
            const value = verdict.scores[category];
            if (typeof value === 'number' && Number.isFinite(value)) score = Math.max(score ?? value, value);
            if (verdict.categories[category] === true) flagged.push(`${category} in ${f.field}${typeof value === 'number' ? ` (${value.toFixed(2)})` : ''}`);
          }
        });
        return {
          status: 'processed',
          passed: flagged.length === 0,
          ...(score !== undefined ? { score } : {}),
          ...(flagged.length > 0 ? { details: `Flagged: ${flagged.join(', ')}` } : {}),
          ...cost,
        };
      },
    };
  },
};
