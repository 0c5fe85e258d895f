// Display formats for the page's figures.

export const pct = (v: number | undefined | null) => (v === undefined || v === null || Number.isNaN(v) ? '—' : `${(Math.round(v * 10) / 10).toFixed(1)}%`);

/** Two significant digits, in plain decimals at any size (toPrecision writes 3.3e-7). */
const SMALL_USD = new Intl.NumberFormat('en-US', { minimumSignificantDigits: 2, maximumSignificantDigits: 2, useGrouping: false });

/** USD: "—" when unknown; below a cent with two significant digits ($0.0000033, never $0.0000). */
export function usd(v: number | undefined | null): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  if (v === 0) return '$0';
  if (Math.abs(v) < 0.01) return `$${SMALL_USD.format(v)}`;
  return `$${v.toFixed(Math.abs(v) < 10 ? 3 : 2)}`;
}

/**
 * A sum of costs some of which may be unknown (a model without a price): "—" when none is
 * known, as the cell drawer writes an unknown cost; "≥ $x" when `unknownCalls` calls had none.
 */
export function knownUsd(v: number | undefined, unknownCalls: number): string {
  if (v === undefined) return '—';
  return unknownCalls > 0 ? `≥ ${usd(v)}` : usd(v);
}

/** A summary's cost and the calls it leaves out: the targets' and, in a run summary, the evaluators'. */
interface CostedSummary {
  totalCost: number;
  unpricedCalls?: number | undefined;
  evaluatorUnpricedCalls?: number | undefined;
}

const unknownIn = (s: CostedSummary): number => (s.unpricedCalls ?? 0) + (s.evaluatorUnpricedCalls ?? 0);

/**
 * A run summary's cost: its totalCost leaves out the unpriced calls (targets' and evaluators'),
 * so "≥ $x" with some, "—" when nothing was priced (never a $0 that looks free).
 */
export function summaryUsd(s: CostedSummary | null | undefined): string {
  if (!s) return '—';
  const unknown = unknownIn(s);
  return knownUsd(s.totalCost === 0 && unknown > 0 ? undefined : s.totalCost, unknown);
}

/** The same for one side of a comparison's target (`cost`, `unpricedCalls`). */
export const sideUsd = (s: { cost: number; unpricedCalls?: number | undefined }): string => summaryUsd({ totalCost: s.cost, unpricedCalls: s.unpricedCalls });

/** A run's cost for a chart: null (a gap) when no call of it was priced. */
export const summaryCost = (s: CostedSummary): number | null => (s.totalCost === 0 && unknownIn(s) > 0 ? null : s.totalCost);

const calls = (n: number, what: string) => `${n.toLocaleString('en-US')} ${what} call${n === 1 ? '' : 's'}`;

/** What knownUsd's figure leaves out (target calls, evaluators' model calls), for its tooltip; undefined when nothing. */
export function unknownCostNote(targetCalls: number, evaluatorCalls = 0): string | undefined {
  const parts: string[] = [];
  if (targetCalls > 0) parts.push(`${calls(targetCalls, 'target')} with no known cost (a model without a price, an HTTP or code target)`);
  if (evaluatorCalls > 0) parts.push(`${calls(evaluatorCalls, 'judge model')} with no known cost (a model without a price)`);
  return parts.length > 0 ? `${parts.join('; ')} not counted` : undefined;
}

export function ms(v: number | undefined | null): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(v / 60_000);
  return `${m} min ${Math.round((v % 60_000) / 1000)} s`;
}

export const int = (v: number | undefined | null) => (v === undefined || v === null ? '—' : v.toLocaleString('en-US'));

/** Tokens as "12 in / 34 out"; "—" when unknown (HTTP and code targets report none), never "0 in / 0 out". */
export const inOut = (t: { input: number; output: number } | undefined) => (t ? `${int(t.input)} in / ${int(t.output)} out` : '—');

// Dates and times are written one way on every page, tables and chart axes alike (a chart's
// own default, 12/4/26 9:15pm, read as another format beside 4 Dec 2026, 21:15:24): day month
// year and a 24-hour clock, whatever the browser's locale, in its time zone.
const DAY = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium' });
const CLOCK = new Intl.DateTimeFormat('en-GB', { timeStyle: 'medium' });
const CLOCK_MINUTES = new Intl.DateTimeFormat('en-GB', { timeStyle: 'short' });

/** A moment: "4 Dec 2026, 21:15:24"; "—" when there is none. */
export function when(t: number | string | null | undefined): string {
  if (t === null || t === undefined) return '—';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '—' : `${DAY.format(d)}, ${CLOCK.format(d)}`;
}

/**
 * Labels for a time axis's ticks (ms since the epoch, `stepMs` apart), in when()'s format:
 * the day alone for steps of a day or more; otherwise the clock (with seconds when the steps
 * are), and the day under it on the first tick and wherever the day changes.
 */
export function timeTicks(ticks: number[], stepMs: number): string[] {
  let lastDay = '';
  return ticks.map((t) => {
    const d = new Date(t);
    const day = DAY.format(d);
    if (stepMs >= 86_400_000) return day;
    const clock = (stepMs % 60_000 === 0 ? CLOCK_MINUTES : CLOCK).format(d);
    const label = day === lastDay ? clock : `${clock}\n${day}`;
    lastDay = day;
    return label;
  });
}

/** Any output as one line of text (strings as they are, anything else as JSON). */
export function asText(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
