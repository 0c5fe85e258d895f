// The model-judged RAG metrics, ragas-style, with LangWatch's ids and settings (reference
// §2.2): faithfulness (are the output's claims supported by the retrieved contexts?), answer
// relevancy (do questions reconstructed from the output resemble the input?), and the llm mode
// of context precision and recall (whose definitions live in ./context-metrics.ts with their
// other modes). Each runs a few structured calls through ./rag-prompts.ts and reports the
// summed cost of its calls.
import { z } from 'zod';
import type { EvaluatorDefinition, EvaluatorDeps } from '../core/model/adapters.js';
import type { EvaluationResult, EvaluatorContext, EvaluatorInputs } from '../core/model/results.js';
import { missingInput, quote, textInput } from './inputs.js';
import { modelSetting } from './llm-judge.js';
import {
  ATTRIBUTION_SYSTEM,
  ATTRIBUTION_TASK,
  averagePrecision,
  claimsSystem,
  claimsTask,
  contextTexts,
  listed,
  ModelSession,
  numbered,
  optionalText,
  QUESTIONS_SYSTEM,
  QUESTIONS_TASK,
  ragasMaxTokensSetting,
  ragasModelSetting,
  ranks,
  RELEVANCE_TASK,
  relevanceSystem,
  sections,
  VERDICTS_SYSTEM,
  VERDICTS_TASK,
} from './rag-prompts.js';

const faithfulnessSettings = z.object({
  model: ragasModelSetting,
  max_tokens: ragasMaxTokensSetting,
  autodetect_dont_know: z
    .boolean()
    .default(true)
    .describe('Skip, rather than score 0, outputs that only say they do not know or cannot find the answer'),
});

const STRING_INPUTS = ['input', 'output', 'expected_output'];

/**
 * `faithfulness` / `ragas/faithfulness`: supported claims ÷ claims. Two calls: the claims are
 * extracted from the output (with an "I don't know" flag in the same call, so the detection
 * costs nothing extra and works in any language), then verified against the contexts together.
 */
export const faithfulness: EvaluatorDefinition<typeof faithfulnessSettings> = {
  id: 'faithfulness',
  aliases: ['ragas/faithfulness', 'context-faithfulness'],
  name: 'Faithfulness',
  category: 'rag',
  description:
    'An LLM splits the output into claims and checks each against the retrieved contexts; the score is the share of claims the contexts support (hallucinations lower it). ' +
    '"I don\'t know" answers are skipped unless autodetect_dont_know is off.',
  requiredInputs: ['output', 'contexts'],
  optionalInputs: ['input'],
  stringInputs: STRING_INPUTS,
  settings: faithfulnessSettings,
  result: ['score'],
  needsModel: true,
  create(s, deps) {
    const extractSystem = claimsSystem(s.autodetect_dont_know);
    const extractTask = claimsTask(s.autodetect_dont_know);
    return {
      async evaluate(inputs, context): Promise<EvaluationResult> {
        const output = textInput(inputs.output);
        if (output === undefined) return missingInput('output');
        if (output.trim() === '') return { status: 'skipped', details: 'output is empty: there are no claims to check' };
        const contexts = contextTexts(inputs.contexts);
        if (contexts === undefined) return missingInput('contexts');
        const session = new ModelSession(deps, context, s.max_tokens);
        // The verification prompt holds every context plus the claims; the output stands in for
        // the claims, so a row too big for it is skipped before the first call is paid for.
        const tooLong = session.tooLong([
          { role: 'system', content: VERDICTS_SYSTEM },
          { role: 'user', content: sections([['Contexts', numbered(contexts)], ['Claims', output]]) },
        ]);
        if (tooLong) return tooLong;
        const unavailable = await session.available([s.model]);
        if (unavailable) return unavailable;

        const user = sections([['Question', optionalText(inputs.input)], ['Answer', output]]);
        const extracted = await session.generate(s.model, extractSystem, user, extractTask);
        if (!extracted.ok) return extracted.result;
        if (s.autodetect_dont_know && extracted.value.dont_know === true) {
          return session.finish({
            status: 'skipped',
            details:
              'the output only says it does not know or cannot help, so there are no claims to check against the contexts (set autodetect_dont_know to false to score such outputs)',
          });
        }
        const claims = extracted.value.claims.map((c) => c.trim()).filter((c) => c !== '');
        if (claims.length === 0) return session.finish({ status: 'skipped', details: 'the output states no claims that could be checked against the contexts' });
        // Nothing can be supported by no contexts: score 0 without asking.
        if (contexts.length === 0) {
          return session.finish({ status: 'processed', score: 0, details: `no contexts were given, so none of the ${claims.length} claims is supported` });
        }

        const checked = await session.generate(s.model, VERDICTS_SYSTEM, sections([['Contexts', numbered(contexts)], ['Claims', numbered(claims)]]), VERDICTS_TASK);
        if (!checked.ok) return checked.result;
        const verdicts = checked.value.verdicts;
        if (verdicts.length !== claims.length) {
          return session.finish({
            status: 'error',
            errorType: 'invalid_output',
            details: `${s.model} returned ${verdicts.length} verdicts for ${claims.length} claims`,
          });
        }
        const unsupported = verdicts.flatMap((v, i) => (v.supported ? [] : [`${quote(claims[i]!)} (${v.reasoning.trim() || 'no reason given'})`]));
        const supported = claims.length - unsupported.length;
        const details =
          `${supported} of ${claims.length} claims are supported by the contexts` + (unsupported.length > 0 ? `; not supported: ${listed(unsupported)}` : '');
        return session.finish({ status: 'processed', score: supported / claims.length, details });
      },
    };
  },
};

const relevancySettings = z.object({
  model: ragasModelSetting,
  max_tokens: ragasMaxTokensSetting,
  embeddings_model: modelSetting('openai/text-embedding-ada-002', 'Embeddings model as provider/model'),
});

/**
 * `answer_relevancy` / `ragas/response_relevancy`: questions are generated from the output
 * alone, then embedded with the input in one call; the score is their mean cosine similarity
 * to the input, or 0 when the output is noncommittal (as ragas does).
 */
export const answerRelevancy: EvaluatorDefinition<typeof relevancySettings> = {
  id: 'answer_relevancy',
  aliases: ['ragas/response_relevancy', 'answer-relevance'],
  name: 'Answer Relevancy',
  category: 'rag',
  description:
    'An LLM writes the questions the output answers; the score is their mean embedding cosine similarity to the input (0 for evasive, noncommittal outputs). ' +
    'Incomplete or off-topic answers score lower.',
  requiredInputs: ['input', 'output'],
  optionalInputs: [],
  stringInputs: STRING_INPUTS,
  settings: relevancySettings,
  result: ['score'],
  needsModel: true,
  create(s, deps) {
    return {
      async evaluate(inputs, context): Promise<EvaluationResult> {
        const input = textInput(inputs.input);
        if (input === undefined) return missingInput('input');
        if (input.trim() === '') return { status: 'skipped', details: 'input is empty: there is no question to compare with' };
        const output = textInput(inputs.output);
        if (output === undefined) return missingInput('output');
        if (output.trim() === '') return { status: 'skipped', details: 'output is empty: there is no answer to generate questions from' };
        const session = new ModelSession(deps, context, s.max_tokens);
        const unavailable = await session.available([s.model, s.embeddings_model]);
        if (unavailable) return unavailable;

        // Only the answer is shown: with the input in sight the model would copy it back.
        const generated = await session.generate(s.model, QUESTIONS_SYSTEM, sections([['Answer', output]]), QUESTIONS_TASK);
        if (!generated.ok) return generated.result;
        const questions = generated.value.questions.map((q) => q.trim()).filter((q) => q !== '');
        const asked = questions.map((q) => quote(q));
        if (generated.value.noncommittal) {
          return session.finish({
            status: 'processed',
            score: 0,
            details: `the output is noncommittal (evasive, vague or declining), so its relevancy is 0${asked.length > 0 ? `; generated questions: ${listed(asked)}` : ''}`,
          });
        }
        if (questions.length === 0) {
          return session.finish({ status: 'error', errorType: 'invalid_output', details: `${s.model} generated no questions from the output` });
        }

        const embedded = await session.embed(s.embeddings_model, [input, ...questions]);
        if (!embedded.ok) return embedded.result;
        const [question, ...others] = embedded.value;
        const { cosineSimilarity } = await import('ai');
        const similarities = others.map((v) => cosineSimilarity(question!, v));
        const score = similarities.reduce((a, b) => a + b, 0) / similarities.length;
        const each = asked.map((q, i) => `${q} (${similarities[i]!.toFixed(3)})`);
        return session.finish({
          status: 'processed',
          score,
          details: `mean cosine similarity ${score.toFixed(3)} between the input and ${questions.length} questions generated from the output: ${listed(each)}`,
        });
      },
    };
  },
};

/** What the llm modes of context precision and recall read from their settings. */
interface LlmSettings {
  model: string;
  max_tokens: number;
}

/** LLM context precision: average precision of the contexts, relevance judged by the model in one call. */
export async function llmContextPrecision(s: LlmSettings, deps: EvaluatorDeps, inputs: EvaluatorInputs, context: EvaluatorContext): Promise<EvaluationResult> {
  const question = textInput(inputs.input);
  if (question === undefined) return missingInput('input');
  const contexts = contextTexts(inputs.contexts);
  if (contexts === undefined) return missingInput('contexts');
  // ragas judges against the reference answer when there is one, else against the response.
  const expected = optionalText(inputs.expected_output);
  const reference = expected ?? optionalText(inputs.output);
  if (reference === undefined) {
    return {
      status: 'skipped',
      details: 'expected_output and output are both missing or empty: map expected_output (the reference answer) or output, to judge which contexts it needed',
    };
  }
  if (contexts.length === 0) return { status: 'processed', score: 0, details: 'no contexts were retrieved' };
  const title = expected !== undefined ? 'Reference Answer' : 'Answer';
  const session = new ModelSession(deps, context, s.max_tokens);
  const unavailable = await session.available([s.model]);
  if (unavailable) return unavailable;
  const user = sections([['Question', question], ['Contexts', numbered(contexts)], [title, reference]]);
  const judged = await session.generate(s.model, relevanceSystem(title), user, RELEVANCE_TASK);
  if (!judged.ok) return judged.result;
  // Verdicts name their context, so their order does not matter; each context needs exactly one.
  const relevant: (boolean | undefined)[] = contexts.map(() => undefined);
  for (const v of judged.value.verdicts) {
    if (v.context < 1 || v.context > contexts.length || relevant[v.context - 1] !== undefined) {
      return session.finish({ status: 'error', errorType: 'invalid_output', details: `${s.model} returned a stray or repeated verdict for context ${v.context} of ${contexts.length}` });
    }
    relevant[v.context - 1] = v.relevant;
  }
  const missing = relevant.flatMap((r, i) => (r === undefined ? [i + 1] : []));
  if (missing.length > 0) {
    return session.finish({ status: 'error', errorType: 'invalid_output', details: `${s.model} gave no verdict for contexts ${missing.join(', ')}` });
  }
  const flags = relevant as boolean[];
  const score = averagePrecision(flags);
  const against = expected !== undefined ? 'expected_output' : 'output';
  return session.finish({ status: 'processed', score, details: `contexts relevant to the ${against}: ${ranks(flags)} of ${contexts.length}; average precision ${score.toFixed(3)}` });
}

/** LLM context recall: the share of expected_output's statements the contexts hold, in one call. */
export async function llmContextRecall(s: LlmSettings, deps: EvaluatorDeps, inputs: EvaluatorInputs, context: EvaluatorContext): Promise<EvaluationResult> {
  const question = textInput(inputs.input);
  if (question === undefined) return missingInput('input');
  const contexts = contextTexts(inputs.contexts);
  if (contexts === undefined) return missingInput('contexts');
  const expected = textInput(inputs.expected_output);
  if (expected === undefined) return missingInput('expected_output');
  if (expected.trim() === '') return { status: 'skipped', details: 'expected_output is empty: there are no statements to look for in the contexts' };
  if (contexts.length === 0) return { status: 'processed', score: 0, details: 'no contexts were retrieved, so none of expected_output is found in them' };
  const session = new ModelSession(deps, context, s.max_tokens);
  const unavailable = await session.available([s.model]);
  if (unavailable) return unavailable;
  const user = sections([['Question', question], ['Contexts', numbered(contexts)], ['Reference Answer', expected]]);
  const judged = await session.generate(s.model, ATTRIBUTION_SYSTEM, user, ATTRIBUTION_TASK);
  if (!judged.ok) return judged.result;
  const statements = judged.value.statements;
  if (statements.length === 0) return session.finish({ status: 'skipped', details: 'expected_output states nothing that could be looked for in the contexts' });
  const absent = statements.filter((st) => !st.attributed).map((st) => quote(st.statement));
  const found = statements.length - absent.length;
  const details = `${found} of ${statements.length} statements of expected_output are found in the contexts` + (absent.length > 0 ? `; not found: ${listed(absent)}` : '');
  return session.finish({ status: 'processed', score: found / statements.length, details });
}
