// The OpenTelemetry Node SDK, started once per process when an OTLP endpoint is configured.
// The SDK reads the standard OTEL_* variables itself (endpoint, protocol, headers, sampler,
// service name, resource attributes), so operators configure Assay like any other service.
// Only traces are exported: Assay's metrics are Prometheus's (GET /metrics), its logs pino's.
import { context, propagation, type Tracer, trace } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';

let running: { sdk: NodeSDK; users: number } | null = null;

/** A started tracer and how to let it go (the last user flushes and stops the SDK). */
export interface Tracing {
  tracer: Tracer;
  /** Exports every ended span now (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Loaded only when tracing is on: the SDK and its exporters cost ≈ 250 ms and 25 MB at start-up. */
export async function startTracing(version: string): Promise<Tracing> {
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  if (!running) {
    // Unset, the SDK would also push (empty) OTLP metrics and logs to the same endpoint.
    process.env.OTEL_METRICS_EXPORTER ??= 'none';
    process.env.OTEL_LOGS_EXPORTER ??= 'none';
    const sdk = new NodeSDK({ serviceName: process.env.OTEL_SERVICE_NAME ?? 'assay' });
    sdk.start();
    running = { sdk, users: 0 };
  }
  const mine = running;
  mine.users++;
  let closed = false;
  // The global is the API's proxy around the SDK's provider. Duck-typed: the SDK loads the
  // API's CommonJS build and this file its ES module build, so `instanceof` is false.
  const provider = () => {
    const global = trace.getTracerProvider() as { getDelegate?: () => unknown };
    return (global.getDelegate?.() ?? global) as { forceFlush?: () => Promise<void> };
  };
  return {
    tracer: trace.getTracer('assay', version),
    flush: async () => {
      await provider().forceFlush?.();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (--mine.users > 0) {
        await provider().forceFlush?.();
        return;
      }
      if (running === mine) running = null;
      await mine.sdk.shutdown();
      // Unregister the globals, so a later start (another Assay in this process) registers anew.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
