// How the latency histogram writes its axis ticks. ms() rounds for a headline figure (2 decimals
// of a second from 1 s on), so latencies a few ms apart gave every tick the same label
// ("1.52 s 1.52 s 1.52 s"): a tick is written with the decimals its distance to the next needs.
import { ms } from '../lib/format.js';
import { stepDecimals } from './score-ticks.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * A latency axis tick (ms) `step` ms from the next: in ms below a second, in seconds from 1 s
 * with at least ms()'s decimals, in minutes and seconds from a minute when the step is whole
 * seconds. Without a step (an accessible summary), as ms() writes it.
 */
export function latencyTick(v: number, step?: number): string {
  if (step === undefined || !(step > 0)) return ms(v);
  if (v < SECOND) return `${fixed(v, stepDecimals(step))} ms`;
  if (v >= MINUTE && step % SECOND === 0) return ms(v);
  return `${fixed(v / SECOND, Math.max(v < 10 * SECOND ? 2 : 1, stepDecimals(step / SECOND)))} s`;
}

/** toFixed, with a tick at zero computed as -1e-17 written as zero, not "-0.0". */
function fixed(v: number, decimals: number): string {
  const text = v.toFixed(decimals);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}
