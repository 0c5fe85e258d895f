// Runs as operators see them (docs/operations.md): counters and histograms of cells, evaluators
// and endings; one structured log line per run start and end, per shard end and per failed
// cell; and — with tracing on — a trace per execution (and per shard of a cluster run): a root
// span, a child span per cell, under which the target call and evaluator spans (instrument.ts)
// and the model calls (model-observer.ts) nest through the active context.
import { performance } from 'node:perf_hooks';
import { context, ROOT_CONTEXT, type Span, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { cellPassed } from '../core/engine/aggregate.js';
import type { RunRecord } from '../core/model/run.js';
import type { ExecutionOutcome, RunShape, RunWatch } from '../core/observe.js';
import type { Logger } from '../core/ports.js';
import type { ShardRange } from '../core/shard-store.js';
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

/** A run's cells over every execution and shard when it ends (src/app/runs/observation.ts gives them). */
interface RunTotals {
  cellsCommitted: number;
  cellsFailed: number;
}

/** What one execution or shard is watched with before its ending is told apart. */
interface Watched {
  watch: Omit<RunWatch, 'ended'>;
  ids: { runId: string; projectId: string; traceId?: string };
  /** Cells this execution or shard committed, and those of them whose target failed. */
  counts: { committed: number; failed: number };
  span: Span | undefined;
}

/**
 * Observes run executions and shards: src/app/runs/observation.ts's ExecutionObserver, which it
 * matches by shape (src/observability imports only src/core; src/config checks the match).
 */
export function createRunObserver(options: RunObserverOptions) {
  const { metrics, tracer, logger, labels } = options;

  /** Metrics of committed cells, a root span with a span per cell, and the `cell failed` lines. */
  function watchCells(run: RunRecord, shape: RunShape | null, spanName: string, attributes: Record<string, string | number | boolean>): Watched {
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

    let span: Span | undefined;
    let runContext = ROOT_CONTEXT;
    if (tracer) {
      // A root span: a run's trace never hangs under whatever request or timer woke it up.
      span = tracer.startSpan(spanName, {
        attributes: {
          'assay.run.id': run.id,
          'assay.project.id': run.projectId,
          'assay.experiment.id': run.experimentId,
          'assay.experiment.slug': run.experimentSlug,
          'assay.run.cells': run.total,
          ...attributes,
        },
      }, ROOT_CONTEXT);
      runContext = trace.setSpan(ROOT_CONTEXT, span);
    }
    const traceId = span?.spanContext().traceId;
    const ids = { runId: run.id, projectId: run.projectId, ...(traceId ? { traceId } : {}) };
    const counts = { committed: 0, failed: 0 };

    const watch: Watched['watch'] = {
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
        counts.committed += cells.length;
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
            counts.failed++;
            logger.warn({ ...ids, rowIndex: c.rowIndex, targetId: c.targetId, repeat: c.repeat, attempts: c.attempts, error: c.error }, 'cell failed');
          }
        }
      },
    };
    return { watch, ids, counts, span };
  }

  /** The fields an ending line adds: the failure code or the stop reason. */
  const detailOf = (outcome: ExecutionOutcome) =>
    outcome.kind === 'failed' ? { error: outcome.code } : outcome.kind === 'stopped' ? { stopReason: outcome.reason } : outcome.kind === 'crashed' ? { error: outcome.error } : {};

  function endSpan(w: Watched, outcome: ExecutionOutcome): void {
    if (!w.span) return;
    w.span.setAttribute('assay.run.status', statusOf(outcome));
    w.span.setAttribute('assay.run.cells_committed', w.counts.committed);
    if (outcome.kind === 'failed' || outcome.kind === 'crashed') w.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.kind === 'failed' ? outcome.code : outcome.error });
    w.span.end();
  }

  return {
    /** An execution of a run (the whole run's, or a cluster run's coordinator's) begins here. */
    started(run: RunRecord, shape: RunShape | null, resumed: boolean) {
      metrics?.runsStarted.inc({ kind: resumed ? 'continued' : 'new' });
      const w = watchCells(run, shape, 'assay.run', { 'assay.run.resumed': resumed });
      logger.info({ ...w.ids, experimentId: run.experimentId, total: run.total, resumed }, resumed ? 'run continued' : 'run started');
      let over = false;
      return {
        ...w.watch,
        ended(outcome: ExecutionOutcome, totals?: RunTotals) {
          if (over) return;
          over = true;
          const status = statusOf(outcome);
          const here = { cellsCommittedHere: w.counts.committed, cellsFailedHere: w.counts.failed };
          if (outcome.kind === 'released' || outcome.kind === 'crashed') {
            logger.warn({ ...w.ids, status, ...here, ...detailOf(outcome) }, 'run execution ended here; the run goes on');
          } else {
            metrics?.runsFinished.inc({ status });
            // The run's totals: every execution's and every shard's cells, not only this one's.
            const run = totals ?? { cellsCommitted: w.counts.committed, cellsFailed: w.counts.failed };
            logger.info({ ...w.ids, status, ...run, ...here, ...detailOf(outcome) }, 'run ended');
          }
          endSpan(w, outcome);
        },
      };
    },

    /** A shard of a cluster run begins here: its cells are observed, but it is no execution of the run. */
    shardStarted(run: RunRecord, shape: RunShape | null, shard: ShardRange): RunWatch {
      const w = watchCells(run, shape, 'assay.shard', { 'assay.shard.index': shard.shard, 'assay.shard.from_cell': shard.fromCell, 'assay.shard.to_cell': shard.toCell });
      const where = { shard: shard.shard, fromCell: shard.fromCell, toCell: shard.toCell };
      logger.debug({ ...w.ids, ...where }, 'shard started');
      let over = false;
      return {
        ...w.watch,
        ended(outcome) {
          if (over) return;
          over = true;
          const line = { ...w.ids, ...where, status: statusOf(outcome), cellsCommittedHere: w.counts.committed, cellsFailedHere: w.counts.failed, ...detailOf(outcome) };
          switch (outcome.kind) {
            case 'completed':
              logger.info(line, 'shard finished');
              break;
            case 'stopped':
              // The run is stopping (an abort): its coordinator ends it.
              logger.info(line, 'shard stopped');
              break;
            case 'released':
            case 'crashed':
            case 'failed':
              logger.warn(line, 'shard execution ended here; the shard goes on');
              break;
          }
          endSpan(w, outcome);
        },
      };
    },
  };
}
