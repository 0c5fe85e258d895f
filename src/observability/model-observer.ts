// Provider calls as operators see them: a counter per provider/model and outcome (429s apart),
// retries, a duration histogram, and — with tracing on — a client span per call carrying the
// OpenTelemetry GenAI semantic-convention attributes plus the call's cost.
import { performance } from 'node:perf_hooks';
import { context, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { ModelCallObserver, ModelCallScope } from '../core/observe.js';
import { contentText } from './content.js';
import { MODEL_CALL_SPAN } from './instrument.js';
import { BoundedLabel } from './labels.js';
import type { AssayMetrics } from './metrics.js';
import { perKey } from './series.js';

/** Distinct model names labelled as themselves; later ones are `other`. */
export const MAX_MODEL_LABELS = 64;

/** The provider and model labels of a process: shared by the call counters and the limit gauges. */
export class ModelLabels {
  private readonly providers = new BoundedLabel(16);
  private readonly models = new BoundedLabel(MAX_MODEL_LABELS);

  of(provider: string, model: string): { provider: string; model: string } {
    return { provider: this.providers.value(provider), model: this.models.value(model) };
  }
}

interface ModelSeries {
  calls(outcome: string): ReturnType<AssayMetrics['providerCalls']['labels']>;
  duration: ReturnType<AssayMetrics['providerDuration']['labels']>;
}

export interface ModelObserverOptions {
  labels: ModelLabels;
  metrics: AssayMetrics | null;
  tracer: Tracer | null;
  /** Put messages and answers on spans (ASSAY_TRACE_CONTENT). */
  content: boolean;
}

export function createModelObserver(options: ModelObserverOptions): ModelCallObserver | undefined {
  const { metrics, tracer, content } = options;
  if (!metrics && !tracer) return undefined;
  // The series of each provider/model pair, resolved once: building label keys on every call is
  // work on the hot path that does not depend on the call (bounded: the labels are).
  const seriesOf = perKey((provider) =>
    perKey((model): ModelSeries | null =>
      metrics && {
        calls: perKey((outcome) => metrics.providerCalls.labels({ provider, model, outcome })),
        duration: metrics.providerDuration.labels({ provider, model }),
      },
    ),
  );
  return {
    begin(call): ModelCallScope {
      const started = performance.now();
      const { provider, model } = options.labels.of(call.provider, call.model);
      if (call.retry) metrics?.providerRetries.inc({ provider, model });
      const own = seriesOf(provider)(model);
      let span: Span | undefined;
      // A prompt target's own span stands for its call (instrument.ts); judges get a child span.
      let owned = true;
      if (tracer) {
        const attributes = {
          'gen_ai.operation.name': call.operation,
          'gen_ai.system': call.provider,
          'gen_ai.provider.name': call.provider,
          'gen_ai.request.model': call.model,
          ...(content && call.messages !== undefined ? { 'gen_ai.input.messages': contentText(call.messages) } : {}),
        };
        const target = context.active().getValue(MODEL_CALL_SPAN) as Span | undefined;
        if (target) {
          owned = false;
          span = target;
          span.setAttributes(attributes);
        } else {
          span = tracer.startSpan(`${call.operation} ${call.model}`, { kind: SpanKind.CLIENT, attributes });
        }
      }
      let ended = false;
      return {
        end(result) {
          if (ended) return;
          ended = true;
          if (own) {
            own.calls(result.outcome).inc();
            own.duration.observe((performance.now() - started) / 1000);
          }
          if (!span) return;
          if (result.tokens) {
            span.setAttribute('gen_ai.usage.input_tokens', result.tokens.input);
            span.setAttribute('gen_ai.usage.output_tokens', result.tokens.output);
          }
          if (result.cost !== undefined) span.setAttribute('gen_ai.usage.cost', result.cost);
          if (result.status !== undefined) span.setAttribute('http.response.status_code', result.status);
          if (content && result.text !== undefined) span.setAttribute('gen_ai.output.messages', contentText([{ role: 'assistant', content: result.text }]));
          if (result.outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: result.outcome });
          if (owned) span.end();
        },
      };
    },
  };
}
