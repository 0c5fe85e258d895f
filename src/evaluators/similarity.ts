// Embedding similarity: LangWatch's `langevals/similarity` (is the input or output similar, or
// not, to a fixed phrase), plus a mode that compares the field with the row's expected_output
// instead — the usual "semantically the same answer" check. Both texts go in one embeddings
// call; the score is their cosine similarity.
import { costFields } from './call-costs.js';
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult } from '../core/model/results.js';
import { missingInput, modelCallFailed, modelUnavailable, quote, textInput } from './inputs.js';
import { modelSetting } from './llm-judge.js';

const settings = z
  .object({
    field: z.enum(['input', 'output']).default('output').describe('Which input is compared'),
    rule: z
      .enum(['is_similar_to', 'is_not_similar_to'])
      .default('is_not_similar_to')
      .describe('is_similar_to passes at or above the threshold; is_not_similar_to passes below it'),
    value: z.string().max(100_000).default('example').describe('The phrase compared with (when compare_to is "value")'),
    threshold: z.number().min(-1).max(1).default(0.3).describe('Cosine similarity that counts as similar'),
    embeddings_model: modelSetting('openai/text-embedding-3-small', 'Embeddings model as provider/model'),
    compare_to: z
      .enum(['value', 'expected_output'])
      .default('value')
      .describe('"value": the fixed phrase (LangWatch); "expected_output": the row\'s expected answer'),
  })
  .superRefine((s, ctx) => {
    // An empty phrase has no meaning to embed; refuse it at save rather than skip every row.
    if (s.compare_to === 'value' && s.value.trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'value must not be empty when compare_to is "value"' });
    }
  });
type Settings = z.output<typeof settings>;

/** The text compared against, or the result that ends the evaluation. */
function reference(s: Settings, expected: unknown): { text: string; name: string } | EvaluationResult {
  if (s.compare_to === 'value') return { text: s.value, name: quote(s.value) };
  const text = textInput(expected);
  if (text === undefined) return missingInput('expected_output');
  if (text.trim() === '') return { status: 'skipped', details: 'expected_output is empty: there is nothing to compare with' };
  return { text, name: 'expected_output' };
}

/** `semantic_similarity` / `langevals/similarity`: score = cosine similarity, passed per rule. */
export const semanticSimilarity: EvaluatorDefinition<typeof settings> = {
  id: 'semantic_similarity',
  aliases: ['langevals/similarity'],
  name: 'Semantic Similarity',
  category: 'similarity',
  description:
    'Embeds the output (or input) and a phrase, or the expected_output, and scores their cosine similarity. ' +
    'is_similar_to passes at or above the threshold, is_not_similar_to below it.',
  requiredInputs: [],
  optionalInputs: ['input', 'output', 'expected_output'],
  stringInputs: ['input', 'output', 'expected_output'],
  settings,
  result: ['score', 'passed'],
  needsModel: true,
  create(s, deps) {
    return {
      async evaluate(inputs, context): Promise<EvaluationResult> {
        const text = textInput(inputs[s.field]);
        if (text === undefined) return missingInput(s.field);
        if (text.trim() === '') return { status: 'skipped', details: `${s.field} is empty: there is nothing to embed` };
        const ref = reference(s, inputs.expected_output);
        if ('status' in ref) return ref;
        let result;
        try {
          const reason = await deps.models.unavailable(s.embeddings_model);
          if (reason !== null) return modelUnavailable(s.embeddings_model, reason);
          result = await deps.models.embed({ model: s.embeddings_model, values: [text, ref.text], signal: context.signal });
        } catch (error) {
          return modelCallFailed(error, context.signal);
        }
        const cost = costFields(result.cost);
        const [a, b] = result.embeddings;
        if (!a || !b || a.length === 0 || a.length !== b.length) {
          return { status: 'error', errorType: 'invalid_output', details: `${s.embeddings_model} returned ${result.embeddings.length} embeddings of unequal or zero length`, ...cost };
        }
        const { cosineSimilarity } = await import('ai');
        const score = cosineSimilarity(a, b);
        const similar = score >= s.threshold;
        const passed = s.rule === 'is_similar_to' ? similar : !similar;
        const details = `${s.field} has cosine similarity ${score.toFixed(3)} to ${ref.name} (${similar ? 'at or above' : 'below'} the threshold ${s.threshold})`;
        return { status: 'processed', score, passed, details, ...cost };
      },
    };
  },
};
