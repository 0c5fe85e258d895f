// Runs as operators see them: counters and histograms of cells, evaluators and endings; one
// structured log line per run start and end and per failed cell; and — with tracing on — a
// trace per execution: a root span for the run, a child span per cell, under which the target
// call and evaluator spans (instrument.ts) and the model calls (model-observer.ts) nest through
// the active context.
import { performance } from 'node:perf_hooks';
import { context, ROOT_CONTEXT, type Span, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { cellPassed } from '../core/engine/aggregate.js';
import type { ExecutionOutcome, RunObserver, RunWatch } from '../core/observe.js';
import type { Logger } from '../core/ports.js';
import { perKey } from './series.js';
import type { AssayMetrics } from './metrics.js';
import type { ModelLabels } from './model-observer.js';

export interface RunObserverOptions {
  metrics: AssayMetrics | null;
  tracer: Tracer | null;
  logger: Logger;
  labels: ModelLabels;
}

/** The status label of an ending (a closed set). */
function statusOf(outcome: ExecutionOutcome): string {
  switch (outcome.kind) {
    case 'completed':
      return 'completed';
    case 'stopped':
      return 'stopped';
    case 'failed':
      return 'failed';
    case 'released':
      return 'released';
    case 'crashed':
      return 'crashed';
  }
}

const TARGET_TYPES = new Set(['prompt', 'http', 'code']);

export function createRunObserver(options: RunObserverOptions): RunObserver {
  const { metrics, tracer, logger, labels } = options;
  return {
    started(run, shape, resumed): RunWatch {
      const typeOf = (targetId: string): string => {
        const type = shape?.targets.get(targetId)?.type;
        return type !== undefined && TARGET_TYPES.has(type) ? type : 'unknown';
      };
      const evaluatorOf = (id: string): string => shape?.evaluators.get(id) ?? 'unknown';
      const informational = shape?.informational ?? new Set<string>();
      const m = metrics && {
        target: perKey((targetId) => {
          const target_type = typeOf(targetId);
          return {
            type: target_type,
            cellDuration: metrics.cellDuration.labels({ target_type }),
            cells: perKey((outcome) => metrics.cells.labels({ target_type, outcome })),
            callDuration: perKey((outcome) => metrics.targetCallDuration.labels({ target_type, outcome })),
          };
        }),
        evaluator: perKey((evaluatorId) => {
          const evaluator = evaluatorOf(evaluatorId);
          return {
            evaluations: perKey((outcome) => metrics.evaluations.labels({ evaluator, outcome })),
            duration: metrics.evaluatorDuration.labels({ evaluator }),
          };
        }),
      };
      metrics?.runsStarted.inc({ kind: resumed ? 'continued' : 'new' });

      let span: Span | undefined;
      let runContext = ROOT_CONTEXT;
      if (tracer) {
        // A root span: a run's trace never hangs under whatever request or timer woke it up.
        span = tracer.startSpan('assay.run', {
          attributes: {
            'assay.run.id': run.id,
            'assay.project.id': run.projectId,
            'assay.experiment.id': run.experimentId,
            'assay.experiment.slug': run.experimentSlug,
            'assay.run.cells': run.total,
            'assay.run.resumed': resumed,
          },
        }, ROOT_CONTEXT);
        runContext = trace.setSpan(ROOT_CONTEXT, span);
      }
      const traceId = span?.spanContext().traceId;
      const ids = { runId: run.id, projectId: run.projectId, ...(traceId ? { traceId } : {}) };
      logger.info({ ...ids, experimentId: run.experimentId, total: run.total, resumed }, resumed ? 'run continued' : 'run started');
      let committed = 0;
      let failedCells = 0;
      let over = false;

      return {
        async cell(ref, work) {
          const started = performance.now();
          let draft;
          if (tracer) {
            const cellSpan = tracer.startSpan('assay.cell', {
              attributes: { 'assay.cell.row_index': ref.rowIndex, 'assay.cell.target_id': ref.targetId, 'assay.cell.repeat': ref.repeat },
            }, runContext);
            try {
              draft = await context.with(trace.setSpan(runContext, cellSpan), work);
              cellSpan.setAttribute('assay.cell.attempts', draft.attempts);
              if (!draft.ok) cellSpan.setStatus({ code: SpanStatusCode.ERROR, message: draft.error });
            } catch (error) {
              // The run is stopping: the cell is abandoned, not failed.
              cellSpan.setAttribute('assay.cell.abandoned', true);
              throw error;
            } finally {
              cellSpan.end();
            }
          } else {
            draft = await work();
          }
          m?.target(ref.targetId).cellDuration.observe((performance.now() - started) / 1000);
          return draft;
        },
        live(event) {
          if (event.type !== 'retrying' || !metrics) return;
          const target = shape?.targets.get(event.targetId);
          metrics.targetRetries.inc({ target_type: typeOf(event.targetId) });
          // A prompt target's retry is a provider retry too (judges count theirs in the model client).
          if (target?.model) {
            const slash = target.model.indexOf('/');
            if (slash > 0) metrics.providerRetries.inc(labels.of(target.model.slice(0, slash), target.model.slice(slash + 1)));
          }
        },
        committed(cells) {
          committed += cells.length;
          for (const c of cells) {
            if (m) {
              const target = m.target(c.targetId);
              const outcome = !c.ok ? 'error' : cellPassed(c, informational) ? 'passed' : 'failed';
              target.cells(outcome).inc();
              target.callDuration(c.ok ? 'ok' : 'error').observe(c.durationMs / 1000);
              for (const e of c.evaluations) {
                const r = e.result;
                const verdict = r.status !== 'processed' ? r.status : r.passed === true ? 'passed' : r.passed === false ? 'failed' : 'scored';
                const evaluator = m.evaluator(e.evaluatorId);
                evaluator.evaluations(verdict).inc();
                evaluator.duration.observe(e.durationMs / 1000);
              }
            }
            if (!c.ok) {
              failedCells++;
              logger.warn({ ...ids, rowIndex: c.rowIndex, targetId: c.targetId, repeat: c.repeat, attempts: c.attempts, error: c.error }, 'cell failed');
            }
          }
        },
        ended(outcome) {
          if (over) return;
          over = true;
          const status = statusOf(outcome);
          if (outcome.kind !== 'released' && outcome.kind !== 'crashed') metrics?.runsFinished.inc({ status });
          const detail = outcome.kind === 'failed' ? { error: outcome.code } : outcome.kind === 'stopped' ? { stopReason: outcome.reason } : outcome.kind === 'crashed' ? { error: outcome.error } : {};
          const line = { ...ids, status, cellsCommitted: committed, cellsFailed: failedCells, ...detail };
          if (outcome.kind === 'released' || outcome.kind === 'crashed') logger.warn(line, 'run execution ended here; the run goes on');
          else logger.info(line, 'run ended');
          if (span) {
            span.setAttribute('assay.run.status', status);
            span.setAttribute('assay.run.cells_committed', committed);
            if (outcome.kind === 'failed' || outcome.kind === 'crashed') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.kind === 'failed' ? outcome.code : outcome.error });
            span.end();
          }
        },
      };
    },
  };
}
