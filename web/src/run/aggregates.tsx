// Per-target and per-evaluator aggregates, and the distributions: each evaluator's scores and
// the targets' latencies.
import { Histogram } from '../charts/uplot-chart.js';
import { int, knownUsd, ms, pct, unknownCostNote } from '../lib/format.js';
import { TableScroll } from '../lib/table-scroll.js';
import { fmtScore } from './badges.js';
import { useStats } from './run-derived.js';
import { latencyTick } from './latency-ticks.js';
import { repeatFigures } from './repeat-stats.js';
import { scoreTick } from './score-ticks.js';
import { type RunStore, useRunState } from './run-store.js';

/** The range scores usually take: where scores that are all equal are drawn (histogram()). */
const SCORE_DOMAIN: [number, number] = [0, 1];

/** One line in place of a table's rows, so an empty table says it is empty. */
function EmptyRow({ columns, children }: { columns: number; children: string }) {
  return (
    <tr>
      <td colSpan={columns} className="muted">{children}</td>
    </tr>
  );
}

/** The summary's commonest errors (topErrors): who failed, how often, and the first message. */
function CommonErrors({ store }: { store: RunStore }) {
  const summary = useRunState(store, (s) => s.summary);
  const groups = summary?.topErrors ?? [];
  if (groups.length === 0) return null;
  const targets = new Map(summary!.targets.map((t) => [t.targetId, t.name]));
  // Evaluators named as everywhere on the page (the model: the id beside a name two share).
  const who = (g: (typeof groups)[number]) => (g.targetId !== undefined ? targets.get(g.targetId) ?? g.targetId : g.evaluatorId !== undefined ? store.model.evaluatorName(g.evaluatorId) : '');
  return (
    <TableScroll label="Error groups table">
      <table className="data" data-testid="common-errors">
        <caption>Commonest errors</caption>
        <thead>
          <tr><th scope="col">Count</th><th scope="col">Target or evaluator</th><th scope="col">First message</th></tr>
        </thead>
        <tbody>
          {groups.map((g, i) => (
            <tr key={i}>
              <td>{int(g.count)}</td>
              <th scope="row" dir="auto">{who(g)}</th>
              <td dir="auto" className="message">{g.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

/**
 * Per evaluator: verdict counts, pass rate, mean score and cost; with repeats, once the run has
 * ended, the summary's 95% intervals beside the pass rate and the mean score, a standard error
 * column and the flaky rows (columns shown only when the summary has them).
 */
function EvaluatorsTable({ store }: { store: RunStore }) {
  const stats = useStats(store);
  const summary = useRunState(store, (s) => s.summary);
  const figures = new Map(stats.evaluators.map((e) => [e.evaluatorId, repeatFigures(summary?.evaluators.find((x) => x.evaluatorId === e.evaluatorId))]));
  const withStderr = [...figures.values()].some((f) => f.stderr !== undefined);
  const withFlaky = [...figures.values()].some((f) => f.flakyRows !== undefined);
  const columns = 8 + (withStderr ? 1 : 0) + (withFlaky ? 1 : 0);
  return (
    <TableScroll label="Evaluators table">
      <table className="data">
        <caption>Evaluators</caption>
        <thead>
          <tr>
            <th scope="col">Evaluator</th><th scope="col">Pass rate</th>
            {withStderr && <th scope="col" title="Standard error over rows (repeats averaged per row)">Std. error</th>}
            <th scope="col">Passed</th><th scope="col">Failed</th><th scope="col">Errors</th><th scope="col">Skipped</th>
            {withFlaky && <th scope="col" title="Rows × targets whose repeats disagree">Flaky rows</th>}
            <th scope="col">Avg score</th><th scope="col">Cost</th>
          </tr>
        </thead>
        <tbody>
          {stats.evaluators.map((e) => {
            const f = figures.get(e.evaluatorId)!;
            return (
              <tr key={e.evaluatorId} data-evaluator={e.evaluatorId}>
                <th scope="row" dir="auto">{e.name}</th>
                <td data-testid="evaluator-pass-rate">{pct(e.passRate)}{f.passRateCi && <span className="ci"> ({f.passRateCi})</span>}</td>
                {withStderr && <td>{f.stderr ?? '—'}</td>}
                <td>{int(e.passed)}</td><td>{int(e.failed)}</td><td>{int(e.errors)}</td><td>{int(e.skipped)}</td>
                {withFlaky && <td data-testid="evaluator-flaky">{f.flakyRows === undefined ? '—' : int(f.flakyRows)}</td>}
                <td>{e.avgScore === undefined ? '—' : fmtScore(e.avgScore)}{e.avgScore !== undefined && f.scoreCi && <span className="ci"> ({f.scoreCi})</span>}</td>
                <td title={unknownCostNote(0, e.costUnknown)}>{knownUsd(e.cost, e.costUnknown)}</td>
              </tr>
            );
          })}
          {stats.evaluators.length === 0 && <EmptyRow columns={columns}>No evaluator results in this run.</EmptyRow>}
        </tbody>
      </table>
    </TableScroll>
  );
}

export function Aggregates({ store }: { store: RunStore }) {
  const stats = useStats(store);
  // Latency percentiles are not in the summary the figures come from while results load.
  const latency = (v: number | undefined) => (stats.provisional ? '…' : ms(v));
  return (
    <section className="aggregates" aria-label="Aggregates">
      <div className="tables">
        <TableScroll label="Targets table">
          <table className="data">
            <caption>Targets</caption>
            <thead>
              <tr><th scope="col">Target</th><th scope="col">Cells</th><th scope="col">Passed</th><th scope="col">Failed</th><th scope="col">Errors</th><th scope="col">p50</th><th scope="col">p95</th><th scope="col">Cost</th><th scope="col">Tokens</th></tr>
            </thead>
            <tbody>
              {stats.targets.map((t) => (
                <tr key={t.targetId} data-target={t.targetId}>
                  <th scope="row" dir="auto">{t.name}</th>
                  <td>{int(t.cells)}</td><td>{int(t.passed)}</td><td>{int(t.failed)}</td><td>{int(t.errors)}</td>
                  <td>{latency(t.latencyP50)}</td><td>{latency(t.latencyP95)}</td><td title={unknownCostNote(t.costUnknown)}>{stats.provisional && t.cost === undefined && t.costUnknown === 0 ? '…' : knownUsd(t.cost, t.costUnknown)}</td>
                  <td>{stats.provisional && t.tokens === undefined ? '…' : int(t.tokens && t.tokens.input + t.tokens.output)}</td>
                </tr>
              ))}
              {stats.targets.length === 0 && <EmptyRow columns={9}>No target results in this run.</EmptyRow>}
            </tbody>
          </table>
        </TableScroll>
        <EvaluatorsTable store={store} />
        <CommonErrors store={store} />
      </div>
      <div className="charts">
        {stats.latencies.length > 0 && <Histogram title="Latency distribution" values={stats.latencies} unit="cells" format={latencyTick} />}
        {stats.evaluators
          .filter((e) => e.scores.length > 0)
          .map((e) => (
            <Histogram key={e.evaluatorId} title={`Scores: ${e.name}`} values={e.scores} unit="results" format={scoreTick} domain={SCORE_DOMAIN} />
          ))}
      </div>
    </section>
  );
}
