// A comparison's figures as `assay compare` and the Markdown report write them: each side's
// pass rate or mean score, the delta, the adjusted p-value, the verdict mark and the judges' cost.
import type { Comparison, ResultsPage } from '../client/index.js';
import { perCellBasis } from '../core/compare/cost-basis.js';
import { usd } from './costs.js';

type Entry = Comparison['evaluators'][number];

const signed = (n: number | undefined, digits = 1) => (n === undefined ? '-' : `${n > 0 ? '+' : ''}${n.toFixed(digits)}`);
/** An adjusted p-value: four decimals, or an exponent when smaller. */
export const p = (x: number) => (x < 0.0001 ? x.toExponential(1) : x.toFixed(4));
/** One side's figure: the pass rate, or the mean score when the test is on scores. */
export const figure = (e: Entry, side: 'baseline' | 'candidate') =>
  e.test.on === 'passRate' ? `${e[side].passRate?.toFixed(1) ?? '-'}%` : (e[side].avgScore?.toFixed(3) ?? '-');
/** The change, in points or in score. */
export const delta = (e: Entry) => (e.test.on === 'passRate' ? `${signed(e.delta.passRate)} pts` : signed(e.delta.avgScore, 3));
/** 'worse' or 'better' for a significant change, '' otherwise. */
export const mark = (e: Entry) => {
  const moved = e.test.on === 'passRate' ? e.delta.passRate : e.delta.avgScore;
  return !e.test.significant ? '' : moved !== undefined && moved < 0 ? 'worse' : 'better';
};
/** True when some evaluator's results had a cost (a judge): only then is there a cost column. */
export const hasCost = (c: Comparison) => c.evaluators.some((e) => e.baseline.cost !== undefined);
/** One side's cost (over `cells` when given): "unknown" when none of its calls had a price, "≥ $x" when some did not. */
const sideCost = (s: Entry['baseline'], cells = 1) => {
  const amount = usd((s.cost ?? 0) / cells);
  return !s.unpricedCalls ? amount : s.cost ? `≥ ${amount}` : 'unknown';
};
/**
 * Both sides' cost, "-" for an evaluator that calls no model; per cell ("a cell") when the
 * target ran a different number of cells on each side (core/compare/cost-basis.ts).
 */
export const cost = (e: Entry, c?: Pick<Comparison, 'targets'>) => {
  if (e.baseline.cost === undefined) return '-';
  const per = c ? perCellBasis(c.targets, e.targetId) : null;
  if (!per) return `${sideCost(e.baseline)} -> ${sideCost(e.candidate)}`;
  return `${sideCost(e.baseline, per.baseline)} -> ${sideCost(e.candidate, per.candidate)} a cell`;
};

/** A run's cells as the pass rate counts them: keyed row/target/repeat, passed when the target succeeded and no evaluator failed or errored. */
export function cellVerdicts(results: Pick<ResultsPage, 'dataset' | 'evaluations'>): Map<string, { row: number; targetId: string; passed: boolean }> {
  const cells = new Map<string, { row: number; targetId: string; passed: boolean }>();
  const key = (row: number, targetId: string, repeat: number) => `${row}\u0000${targetId}\u0000${repeat}`;
  for (const d of results.dataset) cells.set(key(d.index, d.targetId, d.repeat), { row: d.index, targetId: d.targetId, passed: d.error === null || d.error === undefined });
  for (const e of results.evaluations) {
    const cell = cells.get(key(e.index, e.targetId, e.repeat));
    if (cell && (e.status === 'error' || (e.status === 'processed' && e.passed === false))) cell.passed = false;
  }
  return cells;
}

/**
 * The pass rate of each side over the matched rows only (`pairs`: candidate row → baseline row),
 * counting the cells of targets both runs ran, as the run's pass rate counts cells. Two runs of
 * other row scopes (`--rows`) differ in their whole-run pass rates by the rows alone; these
 * figures differ by what changed. Undefined when no cell is matched.
 */
export function matchedPassRates(
  baseline: ReturnType<typeof cellVerdicts>, candidate: ReturnType<typeof cellVerdicts>, pairs: ReadonlyMap<number, number>,
): { baseline: number; candidate: number; rows: number } | undefined {
  const rate = (cells: ReturnType<typeof cellVerdicts>, rows: Set<number>, targets: Set<string>) => {
    const counted = [...cells.values()].filter((c) => rows.has(c.row) && targets.has(c.targetId));
    return counted.length === 0 ? undefined : (100 * counted.filter((c) => c.passed).length) / counted.length;
  };
  const targetsOf = (cells: ReturnType<typeof cellVerdicts>) => new Set([...cells.values()].map((c) => c.targetId));
  const baseTargets = targetsOf(baseline);
  const targets = new Set([...targetsOf(candidate)].filter((t) => baseTargets.has(t)));
  const b = rate(baseline, new Set(pairs.values()), targets);
  const c = rate(candidate, new Set(pairs.keys()), targets);
  return b === undefined || c === undefined ? undefined : { baseline: b, candidate: c, rows: pairs.size };
}

/** "fell 9.1 points", "rose 2.0 points" or "unchanged", for a drop in points (baseline − candidate). */
export const dropText = (drop: number): string => (drop.toFixed(1) === '0.0' || drop.toFixed(1) === '-0.0' ? 'unchanged' : drop > 0 ? `fell ${drop.toFixed(1)} points` : `rose ${(-drop).toFixed(1)} points`);
