// Which run events end a run's stream (SPEC §6). Kept apart from the event schema
// (events.ts, which re-exports it) so the client can use it without bundling zod into the web
// page: 29 KB gzipped of the page's entry chunk.

/** Events after which a run's stream closes: `done`, `stopped`, or a run-level `error`. */
export function isFinalEvent(e: { type: string; rowIndex?: number | undefined }): boolean {
  return e.type === 'done' || e.type === 'stopped' || (e.type === 'error' && e.rowIndex === undefined);
}
