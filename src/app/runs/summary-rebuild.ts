// The summary of a run being executed again (after a crash, a restart or a resume) is rebuilt
// from what earlier executions committed: cells in commit order, then row-scoped results.
import { Aggregator } from '../../core/engine/aggregate.js';
import type { ExperimentDocument } from '../../core/model/experiment.js';
import type { RunRecord } from '../../core/model/run.js';
import type { Stores } from '../../core/ports.js';
import { yieldIfBusy } from '../../core/turns.js';
import type { EvaluatorCatalogue } from './prepare.js';

const PAGE = 1000;

/** An aggregator for the run's targets and evaluators (names from its experiment version), with its committed results added. */
export async function rebuildSummary(stores: Pick<Stores, 'runs'>, run: RunRecord, doc: ExperimentDocument | undefined, catalogue: EvaluatorCatalogue): Promise<Aggregator> {
  const spec = run.spec;
  const targets = spec.targetIds.map((id) => ({ id, name: doc?.targets.find((t) => t.id === id)?.name ?? id }));
  const evaluators = spec.evaluatorIds.map((id) => {
    const e = doc?.evaluators.find((x) => x.id === id);
    return { id, name: e?.name ?? catalogue.find(e?.type ?? '')?.name ?? id };
  });
  const weights = new Map((doc?.evaluators ?? []).filter((e) => e.weight !== undefined).map((e) => [e.id, e.weight!] as const));
  const agg = new Aggregator(targets, evaluators, weights);
  for (let after = 0; ; ) {
    // A 100,000-cell run is 100 pages: not one turn of the event loop (core/turns.ts).
    await yieldIfBusy();
    const page = await stores.runs.cellsInCommitOrder(run.id, after, PAGE);
    for (const c of page) agg.add(c);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.completedOrder;
  }
  for (let after = 0; ; ) {
    await yieldIfBusy();
    const page = await stores.runs.rowResultsAfterSeq(run.id, after, PAGE);
    for (const r of page) agg.addRow(r);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.seq;
  }
  return agg;
}
