// What a prompt or HTTP target sent for one row of a run: GET …/runs/{runId}/request. Nothing of
// it is stored with the cell (a run of 100,000 cells would keep its prompts a second time); the
// messages are rendered again, by the target's own function, from what the run read: the
// experiment at the run's version, the row as the run saw it, the run's parameters. Rendering
// is deterministic, so this is what was sent. LangWatch and Braintrust show it beside an output.
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { HttpTarget, PromptTarget, Row } from '../../core/model/experiment.js';
import type { CellRequest } from '../../core/model/run-api.js';
import type { RunRecord, RunSpec } from '../../core/model/run.js';
import type { Stores } from '../../core/ports.js';
import { runRowsPage } from './run-rows.js';

/** Renders a prompt target's messages for a row, as the target does (config/prompt-render.ts). */
export type PromptRenderer = (target: PromptTarget, row: Row, parameters: RunSpec['parameters']) => Promise<{ role: 'system' | 'user' | 'assistant'; content: string }[]>;

/** Renders an HTTP target's request for a row without its secrets (config/prompt-render.ts, targets/http-preview.ts). */
export type HttpRenderer = (target: HttpTarget, row: Row, parameters: RunSpec['parameters']) => Promise<{ method: string; url: string; headers: Record<string, string>; body?: string; unrendered: string[] }>;

export interface RequestRenderers {
  prompt: PromptRenderer;
  http: HttpRenderer;
}

export async function cellRequest(
  stores: Pick<Stores, 'datasets' | 'runs' | 'experiments'>,
  run: RunRecord,
  rowIndex: number,
  targetId: string,
  render: RequestRenderers,
): Promise<CellRequest> {
  const spec = run.spec;
  if (!spec.targetIds.includes(targetId)) {
    throw new NotFoundError('cell_not_found', `The run has no target "${targetId.slice(0, 100)}"; its targets: ${spec.targetIds.join(', ')}`, { targetId: targetId.slice(0, 100) });
  }
  const selected = rowIndex < spec.sourceRowCount && (spec.rowIndices === null || spec.rowIndices.includes(rowIndex));
  if (!selected) throw new NotFoundError('cell_not_found', `The run did not read row ${rowIndex}`, { rowIndex });
  const experiment = await stores.experiments.getById(run.projectId, spec.experimentId, spec.experimentVersion);
  const target = experiment?.document.targets.find((t) => t.id === targetId);
  if (!target) throw new NotFoundError('cell_not_found', `The experiment's version ${spec.experimentVersion} has no target "${targetId}"`, { targetId });
  if (target.type === 'code') {
    throw new ValidationError(`Target "${targetId}" is a code target: its request is the row and the run's parameters (GET …/rows); only prompt and HTTP targets' requests are rebuilt`, [{ path: ['targetId'], message: 'a code target' }]);
  }
  const row = (await runRowsPage(stores, run, rowIndex, 1)).rows[0];
  if (!row) throw new NotFoundError('cell_not_found', `Row ${rowIndex} of the run is no longer stored`, { rowIndex });
  if (target.type === 'http') {
    const answer: CellRequest = { runId: run.id, rowIndex, targetId, type: 'http' };
    try {
      Object.assign(answer, await render.http(target, row.entry, spec.parameters));
    } catch (error) {
      answer.error = error instanceof Error ? error.message : String(error);
    }
    return answer;
  }
  const answer: CellRequest = { runId: run.id, rowIndex, targetId, type: 'prompt', model: target.model };
  if (target.params) answer.params = target.params;
  if (target.outputSchema !== undefined) answer.outputSchema = target.outputSchema;
  try {
    answer.messages = await render.prompt(target, row.entry, spec.parameters);
  } catch (error) {
    answer.error = error instanceof Error ? error.message : String(error);
  }
  return answer;
}
