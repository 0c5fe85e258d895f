// The tab's title, per page: what the page shows, most specific first, then "Assay" ("Capital
// cities · run …PE5WNX · Assay"), so tabs and history entries of several pages read apart.
import { useEffect } from 'react';

/** Sets document.title to the parts given (undefined ones left out) and "Assay", while they hold. */
export function useTitle(...parts: (string | undefined)[]): void {
  const title = [...parts.filter((p): p is string => p !== undefined && p !== ''), 'Assay'].join(' · ');
  useEffect(() => {
    document.title = title;
  }, [title]);
}

/** A run id short enough for a tab: its last 6 characters (a run id's ULID ends in random ones). */
export function shortRunId(runId: string): string {
  return runId.length <= 12 ? runId : `…${runId.slice(-6)}`;
}
