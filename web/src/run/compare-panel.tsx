// Compare mode: a switch, the baseline picker (default: the run's baseline, else the previous
// finished run over its rows; each listed run with its rows, "1 of 3 rows"), the comparison's
// verdict, per evaluator × target the two sides, the delta and its test (Holm-adjusted p,
// significance, 95% interval) and, for a judge, what it cost; per target cost, latency and
// errors on both sides. The grid marks the changed cells and the toolbar offers "Changed
// against baseline" while this is on.
import type { EvaluatorComparison } from '../api-types.js';
import { int, ms, pct, sideUsd, when } from '../lib/format.js';
import { TableScroll } from '../lib/table-scroll.js';
import { perCellBasis } from '../../../src/core/compare/cost-basis.js';
import { fmtScore } from './badges.js';
import { useCompare } from './compare-store.js';
import { rowShare } from './row-share.js';
import { pickerRate } from './summary-stats.js';
import type { RunStore } from './run-store.js';

const VERDICT_TEXT = { regressed: 'Regressed', improved: 'Improved', no_significant_change: 'No significant change' } as const;

const signed = (v: number, unit: string, digits: number) => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(digits)}${unit}`;

/** The tested figure of one side: the pass rate when the evaluator gives verdicts, else the mean score. */
function side(e: EvaluatorComparison, which: 'baseline' | 'candidate'): string {
  const s = e[which];
  return e.test.on === 'passRate' ? pct(s.passRate) : s.avgScore !== undefined ? fmtScore(s.avgScore) : '—';
}

function delta(e: EvaluatorComparison): string {
  if (e.test.on === 'passRate') return e.delta.passRate !== undefined ? signed(e.delta.passRate, ' pts', 1) : '—';
  return e.delta.avgScore !== undefined ? signed(e.delta.avgScore, '', 3) : '—';
}

function pValue(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/**
 * Both sides' cost; per cell ("a cell", the totals in the title) when the target ran a
 * different number of cells on each side, since totals over different rows do not compare.
 */
function costPair(b: { cost?: number | undefined; unpricedCalls?: number | undefined }, a: { cost?: number | undefined; unpricedCalls?: number | undefined }, per: { baseline: number; candidate: number } | null) {
  const side = (s: typeof b, cells: number) => sideUsd({ cost: (s.cost ?? 0) / cells, unpricedCalls: s.unpricedCalls });
  if (!per) return `${side(b, 1)} → ${side(a, 1)}`;
  return (
    <span title={`${side(b, 1)} over ${int(per.baseline)} cells → ${side(a, 1)} over ${int(per.candidate)} cells`}>
      {side(b, per.baseline)} → {side(a, per.candidate)} a cell
    </span>
  );
}

export function ComparePanel({ store }: { store: RunStore }) {
  const compare = store.compare;
  const on = useCompare(compare, (s) => s.on);
  const baseline = useCompare(compare, (s) => s.baseline);
  const loading = useCompare(compare, (s) => s.loading);
  const error = useCompare(compare, (s) => s.error);
  const c = useCompare(compare, (s) => s.comparison);
  const truncated = useCompare(compare, (s) => s.truncated);
  const candidates = useCompare(compare, (s) => s.candidates);
  const targetName = (id: string) => store.model.targets.find((t) => t.id === id)?.name ?? id;
  // A Cost column only when some evaluator's results had a cost (a judge): free checks have none to show.
  const costs = c?.evaluators.some((e) => e.baseline.cost !== undefined) ?? false;

  return (
    <section className="compare" aria-labelledby="compare-title">
      <div className="compare-bar">
        <h2 id="compare-title">Compare with a baseline</h2>
        <label className="check">
          <input type="checkbox" checked={on} onChange={(e) => void compare.toggle(e.target.checked)} />
          Compare mode
        </label>
        {on && (
          <span className="field">
            <label htmlFor="f-baseline">Baseline</label>{' '}
            <select id="f-baseline" value={baseline ?? ''} onChange={(e) => void compare.choose(e.target.value || null)}>
              <option value="">Default: the run's baseline, else the previous run over its rows</option>
              {candidates.map((r) => (
                <option key={r.runId} value={r.runId}>
                  {r.runId} · {when(r.timestamps.createdAt)} · {r.status}
                  {rowShare(r) === undefined ? '' : ` · ${rowShare(r)}`}
                  {r.summary ? pickerRate(r.summary) : ''}
                </option>
              ))}
            </select>
          </span>
        )}
      </div>
      {on && (
        <div className="compare-body" aria-live="polite" aria-busy={loading}>
          {loading && <p className="muted">Comparing…</p>}
          {error && !loading && <p className="error-text" role="alert">Cannot compare: {error}</p>}
          {c && !loading && (
            <>
              <p className="compare-verdict">
                <span className={`pill verdict-${c.verdict}`} data-testid="compare-verdict" data-verdict={c.verdict}>
                  {/* Runs that share no row were not compared: their "no significant change" judged nothing. */}
                  {c.matched.rows === 0 ? 'Nothing to compare' : VERDICT_TEXT[c.verdict]}
                </span>{' '}
                against <span className="mono">{c.baselineRunId}</span> (α = {c.alpha}; rows paired by {c.matchedBy}, {int(c.matched.rows)} matched
                {c.unmatched.candidate + c.unmatched.baseline > 0 ? `, ${int(c.unmatched.candidate)} only here, ${int(c.unmatched.baseline)} only in the baseline` : ''}).
              </p>
              <p data-testid="compare-counts">
                Row × target × evaluator results: <strong>{int(c.rows.counts.regressed)}</strong> regressed, <strong>{int(c.rows.counts.improved)}</strong> improved,{' '}
                {int(c.rows.counts.unchanged)} unchanged.
                {truncated ? ' Only the first 20,000 changes are marked in the grid.' : ''}
              </p>
              <TableScroll label="Evaluators against the baseline">
                <table className="data compare-table">
                  <caption className="sr-only">Per evaluator and target: baseline, this run, the change and its significance</caption>
                  <thead>
                    <tr>
                      <th scope="col">Evaluator</th>
                      <th scope="col">Target</th>
                      <th scope="col">Baseline</th>
                      <th scope="col">This run</th>
                      <th scope="col">Change</th>
                      <th scope="col">p (Holm)</th>
                      <th scope="col">Significant</th>
                      <th scope="col">95% interval</th>
                      {costs && <th scope="col">Cost</th>}
                    </tr>
                  </thead>
                  <tbody>
                    {c.evaluators.map((e) => {
                      const worse = (e.test.on === 'passRate' ? e.delta.passRate : e.delta.avgScore) ?? 0;
                      const mark = e.test.significant ? (worse < 0 ? 'regressed' : 'improved') : 'same';
                      return (
                        <tr key={`${e.evaluatorId}:${e.targetId}`} data-change={mark}>
                          <th scope="row">{store.model.evaluators.get(e.evaluatorId) ?? e.name}</th>
                          <td>{targetName(e.targetId)}</td>
                          <td>{side(e, 'baseline')}</td>
                          <td>{side(e, 'candidate')}</td>
                          <td className={`delta ${mark}`}>{delta(e)}</td>
                          <td title={`${e.test.name}, p = ${e.test.pValue}`}>{e.test.name === 'none' ? '—' : pValue(e.test.pValueAdjusted)}</td>
                          <td>{e.test.significant ? (worse < 0 ? 'yes, worse' : 'yes, better') : 'no'}</td>
                          <td>{e.test.ci95 ? `${e.test.ci95[0].toFixed(2)} … ${e.test.ci95[1].toFixed(2)}` : '—'}</td>
                          {costs && <td>{e.baseline.cost !== undefined ? costPair(e.baseline, e.candidate, perCellBasis(c.targets, e.targetId)) : '—'}</td>}
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </TableScroll>
              <TableScroll label="Targets against the baseline">
                <table className="data compare-table compare-targets">
                  <caption className="sr-only">Per target: cost, latency and errors, baseline then this run</caption>
                  <thead>
                    <tr>
                      <th scope="col">Target</th>
                      <th scope="col">Cost</th>
                      <th scope="col">Latency p50</th>
                      <th scope="col">Latency p95</th>
                      <th scope="col">Errors</th>
                    </tr>
                  </thead>
                  <tbody>
                    {c.targets.map((t) => (
                      <tr key={t.targetId}>
                        <th scope="row">{targetName(t.targetId)}</th>
                        <td>{costPair(t.baseline, t.candidate, perCellBasis(c.targets, t.targetId))}</td>
                        <td>{ms(t.baseline.latencyP50)} → {ms(t.candidate.latencyP50)}</td>
                        <td>{ms(t.baseline.latencyP95)} → {ms(t.candidate.latencyP95)}</td>
                        <td>{int(t.baseline.errors)} → {int(t.candidate.errors)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            </>
          )}
        </div>
      )}
    </section>
  );
}
