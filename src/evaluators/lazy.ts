// Heavy evaluator libraries are imported on first use, not at start-up. The catalogue imports
// every evaluator module, so a static import of, say, google-libphonenumber or
// linear-sum-assignment costs every server its memory (≈ 70 MB of RSS in all) and hundreds of
// ms of start-up, even when no run uses those evaluators. An evaluator awaits its loader in its
// async evaluate(), before any synchronous code that needs the library; a failed load rejects
// there and is reported as the evaluation's error, never at start-up. Type-only imports stay
// static. Settings validation runs synchronously at save and must not use these libraries.

/**
 * A memoised loader: the first call starts `load`, later calls share its promise. A failed load
 * is forgotten, so the next call tries again.
 */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

/** Jonker-Volgenant assignment (about 10 MB of RSS and 100 ms to load); json_compare and tool_calls. */
export const linearSumAssignment = lazy(async () => (await import('linear-sum-assignment')).linearSumAssignment);
