// What a run would cost, shown under the experiment page's run form: the server's estimate
// (POST …/estimate, from the experiment's earlier finished runs, else the models' prices), a
// line per target and per evaluator, with where its figure comes from or why it has none.
import type { RunEstimate, TargetEstimate } from '../api-types.js';
import { int, usd } from '../lib/format.js';

type Part = Pick<TargetEstimate, 'basis' | 'costPerCell' | 'estimatedCost' | 'fromRuns' | 'inputTokensPerCell' | 'outputTokensPerCell' | 'rowsSampled'>;

const runs = (n: number) => `${n} earlier run${n === 1 ? '' : 's'}`;

function source(p: Part): string {
  switch (p.basis) {
    case 'history':
      return `${usd(p.costPerCell)} a cell, from ${runs(p.fromRuns.length)}`;
    case 'older_versions':
      return `${usd(p.costPerCell)} a cell, from ${runs(p.fromRuns.length)} of earlier versions`;
    case 'prices':
      return `${usd(p.costPerCell)} a cell at most, at the model's price: about ${int(Math.round(p.inputTokensPerCell ?? 0))} prompt tokens (${runsSampled(p)}) and answers up to ${int(p.outputTokensPerCell)} tokens (maxTokens)`;
    case 'prices_input':
      return `${usd(p.costPerCell)} a cell for about ${int(Math.round(p.inputTokensPerCell ?? 0))} prompt tokens (${runsSampled(p)}); answers not counted: no maxTokens`;
    case 'no_model':
      return 'it calls no model';
    case 'unpriced':
      return 'its calls in earlier runs reported no cost';
    case 'none':
      return 'no earlier finished run made these calls';
  }
}

/** A complete estimate with a part priced at its maxTokens is an upper bound. */
const atMost = (e: RunEstimate) => e.targets.some((t) => t.basis === 'prices');

const runsSampled = (p: Part) => `from ${int(p.rowsSampled)} row${p.rowsSampled === 1 ? '' : 's'}`;

function PartRow({ name, cells, part }: { name: string; cells: number; part: Part }) {
  return (
    <tr data-basis={part.basis}>
      <th scope="row" dir="auto">{name}</th>
      <td className="num">{int(cells)}</td>
      <td className="num">{part.estimatedCost === undefined ? '—' : `${part.basis === 'prices' ? '≤ ' : part.basis === 'prices_input' ? '≥ ' : ''}${usd(part.estimatedCost)}`}</td>
      <td className="muted">{source(part)}</td>
    </tr>
  );
}

/** `names`: target ids, and evaluator ids as `evaluator:<id>`, to the names the document gives them. */
export function EstimateView({ estimate, names }: { estimate: RunEstimate; names: Map<string, string> }) {
  return (
    <section className="estimate" aria-label="Cost estimate">
      <table className="data">
        <caption>
          What this run would cost: {int(estimate.total)} cells (version {estimate.experimentVersion})
        </caption>
        <thead>
          <tr><th scope="col">Part</th><th scope="col">Cells</th><th scope="col">Cost</th><th scope="col">From</th></tr>
        </thead>
        <tbody>
          {estimate.targets.map((t) => <PartRow key={t.targetId} name={names.get(t.targetId) ?? t.targetId} cells={t.cells} part={t} />)}
          {estimate.evaluators.map((v) => <PartRow key={`evaluator:${v.evaluatorId}`} name={`${names.get(`evaluator:${v.evaluatorId}`) ?? v.evaluatorId} (evaluator)`} cells={v.cells} part={v} />)}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <td />
            <td className="num" data-testid="estimate-total">{!estimate.complete ? `≥ ${usd(estimate.estimatedCost)}` : atMost(estimate) ? `≤ ${usd(estimate.estimatedCost)}` : usd(estimate.estimatedCost)}</td>
            <td className="muted">{!estimate.complete ? 'parts without a figure are not counted' : atMost(estimate) ? 'answers counted at their maxTokens' : ''}</td>
          </tr>
        </tfoot>
      </table>
      {estimate.budgetUsd !== null && (
        <p className={estimate.overBudget ? 'error-text' : 'muted'} data-testid="estimate-budget">
          Budget {usd(estimate.budgetUsd)}: {estimate.overBudget ? 'the run would likely stop for it before the end' : 'within it'}
        </p>
      )}
    </section>
  );
}
