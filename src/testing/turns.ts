// Counting turns of the event loop in tests: long work that yields (core/turns.ts) lets the
// loop reach its check phase between steps; work that never yields lets it reach none.

/** Turns of the event loop (check phases) while `work` runs. */
export async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let counting = true;
  const count = () => {
    turns++;
    if (counting) setImmediate(count);
  };
  // Start on a fresh turn, so the count is the work's alone.
  await new Promise<void>((resolve) => setImmediate(resolve));
  setImmediate(count);
  try {
    await work();
  } finally {
    counting = false;
  }
  return turns;
}
