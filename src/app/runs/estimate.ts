// POST /api/experiments/{slug}/estimate: the run a body would start, checked as a start checks
// it, and what it would cost from the experiment's earlier finished runs (core/engine/estimate.ts).
// Nothing is stored or started.
import { estimateRun, ESTIMATE_RUNS, type PastRun } from '../../core/engine/estimate.js';
import type { RunEstimate } from '../../core/model/estimate.js';
import type { Project } from '../../core/model/records.js';
import type { RunStore } from '../../core/run-store.js';
import type { RunService } from './service.js';

/** Runs of the experiment read for the estimate, at most: newest first, a page at a time. */
const RUNS_READ = 200;
const PAGE = 50;

export class RunEstimates {
  constructor(
    private readonly runs: Pick<RunService, 'plan'>,
    private readonly store: Pick<RunStore, 'list'>,
  ) {}

  async estimate(project: Project, slug: string, body: () => Promise<unknown>): Promise<RunEstimate> {
    const { experiment, spec } = await this.runs.plan(project, slug, body);
    return estimateRun(spec, await this.history(project.id, experiment.id, (spec.targetIds.length + spec.evaluatorIds.length) * ESTIMATE_RUNS));
  }

  /**
   * Finished runs of the experiment with a summary, newest first: enough for every part's
   * ESTIMATE_RUNS figures in the common case, never more than RUNS_READ runs read.
   */
  private async history(projectId: string, experimentId: string, enough: number): Promise<PastRun[]> {
    const past: PastRun[] = [];
    for (let page = 1; (page - 1) * PAGE < RUNS_READ; page++) {
      const { items } = await this.store.list(projectId, experimentId, { page, pageSize: PAGE });
      for (const r of items) {
        if (r.finishedAt !== null && r.summary) past.push({ id: r.id, experimentVersion: r.spec.experimentVersion, summary: r.summary });
      }
      if (items.length < PAGE || past.length >= enough) break;
    }
    return past;
  }
}
