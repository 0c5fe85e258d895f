// A call through the AI SDK, for what the lean paths (openai-chat.ts, anthropic-messages.ts) leave
// to it. Structured output goes through generateText (it parses and validates the object against
// the schema); other plain text calls go to the provider model's own doGenerate: the provider
// package still builds the request and reads the answer (its protocol knowledge — OpenAI's
// reasoning-model parameters, Google's and Azure's protocols — is what the SDK is kept for), without generateText's
// agent loop (steps, tool approvals, telemetry wrappers), which cost about a quarter of a
// prompt cell's CPU (docs/benchmarks.md, "Model calls").
import type { LanguageModelV3, LanguageModelV3Prompt } from '@ai-sdk/provider';
import type { ModelCall } from '../core/model/adapters.js';

/** What a call answered, the same shape from every path. */
export interface CallAnswer {
  text: string;
  object?: unknown;
  finishReason: string;
  tokens: { input: number; output: number; cachedInput?: number };
  /** Input tokens written to the provider's cache (priced apart by some). */
  cacheWrite?: number | undefined;
  /** Response headers (rate limits). */
  headers: unknown;
  /** The raw response body (a gateway's `usage.cost`). */
  body: unknown;
}

type Ai = typeof import('ai');

export function settingsOf(call: ModelCall) {
  const p = call.params ?? {};
  return {
    ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
    ...(p.maxTokens !== undefined ? { maxOutputTokens: p.maxTokens } : {}),
    ...(p.topP !== undefined ? { topP: p.topP } : {}),
    ...(p.topK !== undefined ? { topK: p.topK } : {}),
    ...(p.seed !== undefined ? { seed: p.seed } : {}),
    ...(p.stop !== undefined ? { stopSequences: p.stop } : {}),
    ...(p.frequencyPenalty !== undefined ? { frequencyPenalty: p.frequencyPenalty } : {}),
    ...(p.presencePenalty !== undefined ? { presencePenalty: p.presencePenalty } : {}),
  };
}

/** Our messages as the provider interface's prompt (what generateText's standardisation makes of plain strings). */
export function promptOf(call: ModelCall): LanguageModelV3Prompt {
  return call.messages.map((m) => (m.role === 'system' ? { role: 'system', content: m.content } : { role: m.role, content: [{ type: 'text', text: m.content }] }));
}

export async function sdkCall(ai: Ai, model: LanguageModelV3, call: ModelCall): Promise<CallAnswer> {
  if (call.schema) {
    const { generateText, Output, jsonSchema } = ai;
    const result = await generateText({
      model,
      messages: call.messages,
      // Prompt templates are the experiment author's own; system messages are intended.
      allowSystemInMessages: true,
      maxRetries: 0,
      abortSignal: call.signal,
      ...settingsOf(call),
      output: Output.object({ schema: jsonSchema(call.schema), name: call.schemaName ?? 'output' }),
    });
    const usage = result.usage;
    const cached = usage.inputTokenDetails?.cacheReadTokens;
    return {
      text: result.text,
      object: result.output as unknown,
      finishReason: result.finishReason,
      tokens: { input: usage.inputTokens ?? 0, output: usage.outputTokens ?? 0, ...(cached ? { cachedInput: cached } : {}) },
      cacheWrite: usage.inputTokenDetails?.cacheWriteTokens,
      headers: result.response.headers,
      body: result.response.body,
    };
  }
  const result = await model.doGenerate({ prompt: promptOf(call), abortSignal: call.signal, ...settingsOf(call) });
  let text = '';
  for (const part of result.content) if (part.type === 'text') text += part.text;
  const { inputTokens, outputTokens } = result.usage;
  const cached = inputTokens.cacheRead;
  return {
    text,
    finishReason: result.finishReason.unified,
    tokens: { input: inputTokens.total ?? 0, output: outputTokens.total ?? 0, ...(cached ? { cachedInput: cached } : {}) },
    cacheWrite: inputTokens.cacheWrite,
    headers: result.response?.headers,
    body: result.response?.body,
  };
}
