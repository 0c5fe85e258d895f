// Per-cell results (LangWatch's results shape, paged) and exports (JSON Lines, CSV, JUnit),
// streamed page by page so a 100,000-cell run is never held in memory.
import { stringify } from 'csv-stringify/sync';
import { stream } from 'hono/streaming';
import { z } from 'zod';
import type { RunService } from '../../app/runs/service.js';
import type { ExperimentDocument } from '../../core/model/experiment.js';
import type { Project } from '../../core/model/records.js';
import type { CellResult, RowResult, RunRecord } from '../../core/model/run.js';
import type { RouteTable } from '../route.js';
import { RUN_PREFIXES } from './runs.js';

const runIdParam = z.object({ runId: z.string().max(200) });
const EXPORT_PAGE = 1000;

function targetsMeta(doc: ExperimentDocument | undefined, run: RunRecord) {
  return run.spec.targetIds.map((id) => {
    const t = doc?.targets.find((x) => x.id === id);
    return { id, name: t?.name ?? id, type: t?.type ?? null, model: t?.type === 'prompt' ? t.model : null };
  });
}

function datasetEntry(c: CellResult) {
  return {
    index: c.rowIndex, targetId: c.targetId, repeat: c.repeat, entry: c.entry,
    ...(c.error === undefined ? { predicted: { output: c.output } } : {}),
    cost: c.cost ?? null, duration: c.durationMs, tokens: c.tokens ? { input: c.tokens.input, output: c.tokens.output } : null,
    attempts: c.attempts, cached: c.cached, error: c.error ?? null,
  };
}

function evaluationEntries(c: CellResult) {
  return c.evaluations.map((e) => {
    const r = e.result;
    return {
      evaluator: e.evaluatorId, name: e.name, targetId: c.targetId, index: c.rowIndex, repeat: c.repeat, status: r.status,
      passed: r.status === 'processed' ? (r.passed ?? null) : null,
      score: r.status === 'processed' ? (r.score ?? null) : null,
      label: r.status === 'processed' ? (r.label ?? null) : null,
      details: r.details ?? null, cost: r.cost ?? null, duration: e.durationMs,
    };
  });
}

/** A comparison's result, reported under its first target as LangWatch does, with the candidates. */
function rowEvaluationEntry(r: RowResult) {
  const res = r.evaluation.result;
  return {
    evaluator: r.evaluatorId, name: r.evaluation.name, targetId: r.targetId, index: r.rowIndex, repeat: r.repeat, status: res.status,
    passed: res.status === 'processed' ? (res.passed ?? null) : null,
    score: res.status === 'processed' ? (res.score ?? null) : null,
    label: res.status === 'processed' ? (res.label ?? null) : null,
    details: res.details ?? null, cost: res.cost ?? null, duration: r.evaluation.durationMs,
    inputs: { candidates: r.candidates.map((id) => ({ id })) },
  };
}

async function* allCells(runs: RunService, project: Project, runId: string): AsyncGenerator<CellResult[]> {
  for (let offset = 0; ; offset += EXPORT_PAGE) {
    const { cells } = await runs.results(project, runId, offset, EXPORT_PAGE);
    if (cells.length > 0) yield cells;
    if (cells.length < EXPORT_PAGE) return;
  }
}

// Control characters other than tab, newline and carriage return are not allowed in XML 1.0.
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const xml = (s: string) => s.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!).replace(XML_INVALID, '');
const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

export function runResultRoutes(routes: RouteTable, runs: RunService): void {
  for (const prefix of RUN_PREFIXES) {
    const tags = [prefix === '/api/experiments' ? 'Runs' : 'Runs (legacy path)'];
    const legacy = prefix !== '/api/experiments';

    routes.add(
      {
        method: 'get', path: `${prefix}/runs/{runId}/results`, summary: 'Per-cell results, ordered by row index', tags, auth: 'project', deprecated: legacy,
        params: runIdParam,
        query: z.object({
          experimentSlug: z.string().max(200).optional().describe('Accepted for LangWatch clients; runs are found by id'),
          offset: z.string().regex(/^\d+$/).transform(Number).optional(),
          limit: z.string().regex(/^\d+$/).transform(Number).optional().describe('Default 1000, at most 5000 cells'),
        }),
        responses: { 200: { description: 'Results page', schema: z.record(z.string(), z.unknown()) } },
      },
      async (c, { params, query }) => {
        const offset = query.offset ?? 0;
        const limit = Math.min(Math.max(query.limit ?? 1000, 1), 5000);
        const { run, experiment, cells, rows } = await runs.results(c.get('project'), params.runId, offset, limit);
        return c.json({
          experimentId: run.experimentId, runId: run.id, projectId: run.projectId, progress: run.progress, total: run.total,
          targets: targetsMeta(experiment?.document, run),
          dataset: cells.map(datasetEntry),
          evaluations: [...cells.flatMap(evaluationEntries), ...rows.map(rowEvaluationEntry)],
          timestamps: {
            createdAt: run.startedAt, updatedAt: run.finishedAt ?? run.startedAt,
            finishedAt: run.status === 'stopped' ? null : run.finishedAt, stoppedAt: run.status === 'stopped' ? run.finishedAt : null,
          },
          pagination: { offset, limit, total: run.progress },
        });
      },
    );

    routes.add(
      {
        method: 'get', path: `${prefix}/runs/{runId}/export`, summary: 'Export results as JSON Lines, CSV or JUnit XML', tags, auth: 'project', deprecated: legacy,
        params: runIdParam,
        query: z.object({ format: z.enum(['jsonl', 'csv', 'junit']).default('jsonl') }),
        responses: { 200: { description: 'The export, streamed', schema: z.string(), contentType: 'application/octet-stream' } },
      },
      async (c, { params, query }) => {
        const project = c.get('project');
        const run = await runs.get(project, params.runId);
        const evaluatorIds = run.spec.evaluatorIds;
        const type = { jsonl: 'application/x-ndjson', csv: 'text/csv; charset=utf-8', junit: 'application/xml; charset=utf-8' }[query.format];
        c.header('Content-Type', type);
        c.header('Content-Disposition', `attachment; filename="${run.id}.${query.format === 'junit' ? 'xml' : query.format}"`);
        return stream(c, async (out) => {
          if (query.format === 'csv') {
            const header = ['index', 'targetId', 'repeat', 'entry', 'output', 'error', 'cost', 'duration_ms', 'tokens_in', 'tokens_out', 'attempts', 'cached'];
            for (const id of evaluatorIds) header.push(`${id}.status`, `${id}.passed`, `${id}.score`, `${id}.label`);
            await out.write(stringify([header]));
          }
          if (query.format === 'junit') {
            await out.write(`<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(run.experimentSlug)}" tests="${run.progress}">\n<testsuite name="${xml(`${run.experimentSlug} ${run.id}`)}" tests="${run.progress}">\n`);
          }
          for await (const cells of allCells(runs, project, run.id)) {
            if (query.format === 'jsonl') {
              await out.write(cells.map((cell) => JSON.stringify({ ...datasetEntry(cell), evaluations: evaluationEntries(cell) })).join('\n') + '\n');
            } else if (query.format === 'csv') {
              const rows = cells.map((cell) => {
                const byId = new Map(cell.evaluations.map((e) => [e.evaluatorId, e.result]));
                const row: unknown[] = [cell.rowIndex, cell.targetId, cell.repeat, JSON.stringify(cell.entry), cell.error === undefined ? text(cell.output) : '', cell.error ?? '',
                  cell.cost ?? '', cell.durationMs, cell.tokens?.input ?? '', cell.tokens?.output ?? '', cell.attempts, cell.cached];
                for (const id of evaluatorIds) {
                  const r = byId.get(id);
                  row.push(r?.status ?? '', r?.status === 'processed' ? (r.passed ?? '') : '', r?.status === 'processed' ? (r.score ?? '') : '', r?.status === 'processed' ? (r.label ?? '') : '');
                }
                return row;
              });
              await out.write(stringify(rows));
            } else {
              let chunk = '';
              for (const cell of cells) {
                const name = `row ${cell.rowIndex}${run.spec.repeats > 1 ? ` repeat ${cell.repeat}` : ''}`;
                chunk += `<testcase classname="${xml(`${run.experimentSlug}.${cell.targetId}`)}" name="${xml(name)}" time="${(cell.durationMs / 1000).toFixed(3)}">`;
                if (cell.error !== undefined) chunk += `<error message="${xml(cell.error)}"/>`;
                for (const e of cell.evaluations) {
                  const r = e.result;
                  if (r.status === 'error') chunk += `<error message="${xml(`${e.evaluatorId}: ${r.details}`)}"/>`;
                  else if (r.status === 'processed' && r.passed === false) chunk += `<failure message="${xml(`${e.evaluatorId} failed`)}">${xml(r.details ?? '')}</failure>`;
                }
                chunk += '</testcase>\n';
              }
              await out.write(chunk);
            }
          }
          if (query.format === 'junit') await out.write('</testsuite>\n</testsuites>\n');
        });
      },
    );
  }
}
