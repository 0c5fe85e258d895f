// What an LLM judge sends: LangWatch's call shape (reference §2.4) — the user's criterion as
// the system prompt, the row's inputs as Markdown sections in one user message — and the
// JSON Schemas of the verdicts, reasoning first so the model argues before it decides.
import type { ModelMessage } from '../core/model/adapters.js';
import type { EvaluatorInputs } from '../core/model/results.js';
import { textInput } from './inputs.js';

/** One Markdown section of the user message; `text` undefined means the input is absent. */
interface Section {
  title: string;
  text: string | undefined;
}

/**
 * Contexts as the judge reads them: one item a line (objects as JSON text), so retrieved
 * passages stay apart. A single string or object is used as it is.
 */
export function contextsText(value: unknown): string | undefined {
  if (!Array.isArray(value)) return textInput(value);
  return value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item) ?? String(item))).join('\n');
}

/**
 * The sections joined, absent inputs left out. A present but blank input is shown as
 * "(empty)" rather than dropped: a judge asked whether the output answers the input must see
 * that there was no answer, not be left judging the question alone.
 */
function render(sections: Section[]): string | undefined {
  const present = sections.filter((s): s is { title: string; text: string } => s.text !== undefined);
  if (!present.some((s) => s.text.trim() !== '')) return undefined;
  return present.map((s) => `# ${s.title}\n${s.text.trim() === '' ? '(empty)' : s.text}`).join('\n\n');
}

/** The generic judges' user message, or undefined when every input is absent or blank. */
export function judgeUserMessage(inputs: EvaluatorInputs): string | undefined {
  return render([
    { title: 'Input', text: textInput(inputs.input) },
    { title: 'Output', text: textInput(inputs.output) },
    { title: 'Contexts', text: contextsText(inputs.contexts) },
    { title: 'Expected Output', text: textInput(inputs.expected_output) },
  ]);
}

/** Answer match frames the row as question / gold answer / predicted answer (langevals' signature). */
export function answerMatchUserMessage(question: string | undefined, gold: string, predicted: string): string {
  return render([
    { title: 'Question', text: question },
    { title: 'Gold Answer', text: gold },
    { title: 'Predicted Answer', text: predicted },
  ])!;
}

export const SCHEMA_NAME = 'evaluation';

/** The system message: the user's criterion, then how to answer (LangWatch appends a similar line). */
export function systemMessage(prompt: string, answer: string): string {
  return `${prompt}\n\nAlways answer with a valid JSON object for "${SCHEMA_NAME}": first "reasoning" (your step-by-step thinking, briefly), then ${answer}`;
}

export function judgeMessages(system: string, user: string): ModelMessage[] {
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}

/**
 * Tokens a call's messages take, estimated as ceil(characters / 4). An approximation on
 * purpose: no offline tokenizer covers Claude or Gemini, and the max_tokens guard only has
 * to stop inputs that are far too big (LangWatch's limit is a cost guard, not a tight fit).
 */
export function estimateTokens(messages: ModelMessage[]): number {
  return Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4);
}

const REASONING = { type: 'string', description: 'Your reasoning, before the verdict' };

/** A strict object schema (every property required, no others): what OpenAI's strict mode wants. */
function verdictSchema(verdict: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    properties: { reasoning: REASONING, ...verdict },
    required: ['reasoning', ...Object.keys(verdict)],
    additionalProperties: false,
  };
}

export const BOOLEAN_SCHEMA = verdictSchema({ passed: { type: 'boolean', description: 'True when the criterion is met' } });

export const SCORE_SCHEMA = verdictSchema({ score: { type: 'number', description: 'The score the instructions ask for' } });

export function categorySchema(names: string[]): Record<string, unknown> {
  return verdictSchema({ label: { type: 'string', enum: names, description: 'The one category that fits best' } });
}
