// How a score histogram writes its axis ticks. uPlot spaces ticks by 1, 2, 2.5 or 5 times a
// power of ten, so a step of 0.0025 or 0.025 needs one decimal more than its power of ten
// suggests: 0.0025 written with 3 decimals gives 0.500 0.502 0.505 0.507, which misreads.
import { fmtScore } from './badges.js';

/** Most decimals a tick is written with (uPlot rounds its steps to a few significant digits). */
const MAX_DECIMALS = 6;
/** Scores are usually written with 2 decimals (fmtScore); ticks under 1 apart never show fewer. */
const SCORE_DECIMALS = 2;

/**
 * The decimals that write every multiple of `step` exactly, as the step itself needs them
 * (0.0025 → 4, 0.025 → 3, 2.5 → 1, 20 → 0), at most MAX_DECIMALS. Float noise
 * (0.1 + 0.2 = 0.30000000000000004) is not taken for digits. Shared by every axis whose ticks
 * must read apart (scores here, latencies in latency-ticks.ts).
 */
export function stepDecimals(step: number): number {
  if (!Number.isFinite(step) || step <= 0) return 0;
  let d = 0;
  for (; d < MAX_DECIMALS; d++) {
    const scaled = step * 10 ** d;
    const whole = Math.round(scaled);
    // Relative to the step, so noise in its last bits is ignored at any size.
    if (whole >= 1 && Math.abs(scaled - whole) <= 1e-9 * scaled) break;
  }
  return d;
}

/** stepDecimals for a score axis: at least SCORE_DECIMALS below 1, as fmtScore writes scores. */
export function tickDecimals(step: number): number {
  if (!Number.isFinite(step) || step <= 0) return SCORE_DECIMALS;
  const d = stepDecimals(step);
  return step < 1 ? Math.max(SCORE_DECIMALS, d) : d;
}

/** A score axis tick `step` apart from the next; without a step (a summary), as the grid writes scores. */
export function scoreTick(v: number, step?: number): string {
  if (step === undefined || !(step > 0)) return fmtScore(v);
  const text = v.toFixed(tickDecimals(step));
  // A tick at zero computed as -1e-17 is zero, not "-0.00".
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}
