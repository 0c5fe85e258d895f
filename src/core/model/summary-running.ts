// Whether a summary's running time is worth saying beside its duration: `duration` (SPEC §5,
// LangWatch's) runs from the start, pauses between a stop and a resume included; what people
// read — the CLI's summary, the Markdown report, the run page — add `runningTime` only when the
// pauses were material (docs/decisions.md, "A resumed run's running time").
import type { RunSummary } from './summary.js';

/** A pause of at most this (ms), or at most MATERIAL_PAUSE_SHARE of the duration, is not worth a figure. */
export const MATERIAL_PAUSE_MS = 1_000;
export const MATERIAL_PAUSE_SHARE = 0.1;

/**
 * The summary's runningTime when it differs materially from its duration (the run stood
 * stopped more than 1 s and 10% of it); undefined otherwise, and for summaries without one.
 */
export function materialRunningTime(summary: Pick<RunSummary, 'duration' | 'runningTime'>): number | undefined {
  const running = summary.runningTime;
  if (running === undefined) return undefined;
  const paused = summary.duration - running;
  return paused > MATERIAL_PAUSE_MS && paused > summary.duration * MATERIAL_PAUSE_SHARE ? running : undefined;
}
