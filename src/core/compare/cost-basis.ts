// What a comparison's costs are shown over. Each side's cost is counted over every cell of its
// run (as a target's is), so two runs of different sizes (a smoke test of 2 rows against the
// full 200) showed a tenfold "rise" that was only more rows. When a target ran a different
// number of cells on the two sides, its costs (and its judges') are shown per cell instead.

/** The cells a target ran on each side, when they differ (then costs compare per cell); else null. */
export function perCellBasis(targets: readonly { targetId: string; baseline: { cells: number }; candidate: { cells: number } }[], targetId: string): { baseline: number; candidate: number } | null {
  const t = targets.find((x) => x.targetId === targetId);
  if (!t || t.baseline.cells === t.candidate.cells || t.baseline.cells === 0 || t.candidate.cells === 0) return null;
  return { baseline: t.baseline.cells, candidate: t.candidate.cells };
}
