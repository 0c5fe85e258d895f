// A comparison's figures as `assay compare` and the Markdown report write them: each side's
// pass rate or mean score, the delta, the adjusted p-value, the verdict mark and the judges' cost.
import type { Comparison } from '../client/index.js';
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
