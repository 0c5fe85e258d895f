// Failpoints for the fault-injection suite (test/faults/): named points of the executor (and of a
// resume with retryErrors, between the batches that move failed cells to the log) where
// the process can be made to die exactly as a crash would (SIGKILL, nothing flushed), with a
// set probability. ASSAY_FAILPOINTS names them, e.g. `commit.before:0.05,finish.before:0.2`.
// It is read once at load, and an unset variable leaves failpoint() an immediate return.

/** The points the executor offers. */
export const FAILPOINTS = ['commit.before', 'commit.after', 'finish.before', 'reopen.between'] as const;
export type FailpointName = (typeof FAILPOINTS)[number];

/** Parses `name:probability,…`; an unknown name or a probability outside [0, 1] is an error. */
export function parseFailpoints(spec: string): Map<FailpointName, number> {
  const points = new Map<FailpointName, number>();
  for (const part of spec.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [name = '', raw = '1'] = part.split(':').map((s) => s.trim());
    const probability = Number(raw);
    if (!(FAILPOINTS as readonly string[]).includes(name)) throw new Error(`ASSAY_FAILPOINTS: unknown failpoint "${name}" (known: ${FAILPOINTS.join(', ')})`);
    if (!(probability >= 0 && probability <= 1)) throw new Error(`ASSAY_FAILPOINTS: probability of "${name}" must be between 0 and 1, got "${raw}"`);
    points.set(name as FailpointName, probability);
  }
  return points;
}

const active: Map<FailpointName, number> | null = process.env.ASSAY_FAILPOINTS ? parseFailpoints(process.env.ASSAY_FAILPOINTS) : null;

/** Kills this process with SIGKILL when `name` is armed and its dice roll says so. */
export function failpoint(name: FailpointName): void {
  if (active === null) return;
  const probability = active.get(name);
  if (probability !== undefined && Math.random() < probability) process.kill(process.pid, 'SIGKILL');
}
