// Trace spans around the adapters a run uses, added by wrapping what the composition root hands
// the executor — the target factory and the evaluator catalogue — so neither the engine nor
// the adapters know about tracing. Only used when tracing is on: with it off, nothing is
// wrapped and the cell path is exactly what it was.
import { context, createContextKey, propagation, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { EvaluatorDefinition, TargetDeps, TargetFactory } from '../core/model/adapters.js';
import type { Target } from '../core/model/experiment.js';
import type { EvaluationResult, TargetOutput } from '../core/model/results.js';
import { contentText } from './content.js';

/**
 * Marks a prompt target's span as the span of its model call: the model client's observer
 * (model-observer.ts) then records the call on it instead of opening a child, so a backend that
 * sums GenAI spans (tokens, cost) sees each call once.
 */
export const MODEL_CALL_SPAN = createContextKey('assay: the span a model call reports on');

/** W3C trace context of the active span, as headers for an outgoing call. */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** `host` and `port` of a URL template whose origin is literal (no `{{…}}`): never a rendered value. */
function literalServer(url: string): Record<string, string | number> {
  if (url.includes('{')) {
    const head = /^[a-z]+:\/\/[^/?#]*/i.exec(url)?.[0];
    if (!head || head.includes('{')) return {};
  }
  try {
    const u = new URL(url);
    return { 'server.address': u.hostname, 'server.port': Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
  } catch {
    return {};
  }
}

function targetAttributes(spec: Target): Record<string, string | number> {
  const base = { 'assay.target.id': spec.id, 'assay.target.type': spec.type };
  switch (spec.type) {
    case 'prompt': {
      const slash = spec.model.indexOf('/');
      const provider = slash > 0 ? spec.model.slice(0, slash) : spec.model;
      return { ...base, 'gen_ai.operation.name': 'chat', 'gen_ai.system': provider, 'gen_ai.provider.name': provider, 'gen_ai.request.model': spec.model.slice(slash + 1) };
    }
    case 'http':
      return { ...base, 'http.request.method': spec.method, ...literalServer(spec.url) };
    case 'code':
      return base;
  }
}

function endWithOutput(span: Span, out: TargetOutput, content: boolean): void {
  if (out.tokens) {
    span.setAttribute('gen_ai.usage.input_tokens', out.tokens.input);
    span.setAttribute('gen_ai.usage.output_tokens', out.tokens.output);
  }
  if (out.cost !== undefined) span.setAttribute('gen_ai.usage.cost', out.cost);
  if (out.cached) span.setAttribute('assay.cached', true);
  if (content) span.setAttribute('assay.output', contentText(out.output));
}

function endWithError(span: Span, error: unknown): void {
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number') span.setAttribute('http.response.status_code', status);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Every target call becomes a span (a client span for HTTP and prompt targets); HTTP targets send its traceparent. */
export function tracedTargets(create: TargetFactory, tracer: Tracer, content: boolean): TargetFactory {
  return (spec, deps: TargetDeps) => {
    const adapter = create(spec, spec.type === 'http' ? { ...deps, traceHeaders } : deps);
    const attributes = targetAttributes(spec);
    const name = spec.type === 'prompt' ? `chat ${attributes['gen_ai.request.model']}` : spec.type === 'http' ? spec.method : 'assay.code';
    const kind = spec.type === 'code' ? SpanKind.INTERNAL : SpanKind.CLIENT;
    return {
      ...(adapter.limitKey !== undefined ? { limitKey: adapter.limitKey } : {}),
      ...(adapter.dispose ? { dispose: () => adapter.dispose!() } : {}),
      call: (input) =>
        tracer.startActiveSpan(name, { kind, attributes: content ? { ...attributes, 'assay.input': contentText(input.row) } : attributes }, async (span) => {
          try {
            const out = await (spec.type === 'prompt' ? context.with(context.active().setValue(MODEL_CALL_SPAN, span), () => adapter.call(input)) : adapter.call(input));
            endWithOutput(span, out, content);
            return out;
          } catch (error) {
            endWithError(span, error);
            throw error;
          } finally {
            span.end();
          }
        }),
    };
  };
}

function endWithResult(span: Span, result: EvaluationResult): void {
  span.setAttribute('assay.evaluation.status', result.status);
  if (result.status === 'processed') {
    if (result.passed !== undefined) span.setAttribute('assay.evaluation.passed', result.passed);
    if (result.score !== undefined) span.setAttribute('assay.evaluation.score', result.score);
  }
  if (result.cost !== undefined) span.setAttribute('gen_ai.usage.cost', result.cost);
  if (result.status === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: result.errorType ?? 'error' });
}

/** Every evaluation becomes a span named for its catalogue evaluator. */
export function tracedCatalogue(find: (type: string) => EvaluatorDefinition | undefined, tracer: Tracer): (type: string) => EvaluatorDefinition | undefined {
  return (type) => {
    const definition = find(type);
    if (!definition) return definition;
    return {
      ...definition,
      create: (settings, deps) => {
        const instance = definition.create(settings, deps);
        return {
          ...(instance.dispose ? { dispose: () => instance.dispose!() } : {}),
          evaluate: (inputs, ctx) =>
            tracer.startActiveSpan(`evaluate ${definition.id}`, { attributes: { 'assay.evaluator.type': definition.id } }, async (span) => {
              try {
                const result = await instance.evaluate(inputs, ctx);
                endWithResult(span, result);
                return result;
              } catch (error) {
                endWithError(span, error);
                throw error;
              } finally {
                span.end();
              }
            }),
        };
      },
    };
  };
}
