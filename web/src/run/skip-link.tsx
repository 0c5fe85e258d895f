// "Skip to results": the run page's first Tab stop, shown only when focused. It takes focus to
// the results grid's current cell (arrows move from there), past the header, the actions, the
// tables and the toolbar; to the Results heading while the grid is not there yet.
import type { MouseEvent } from 'react';

/** The Results heading's id: the link's target without script, and its fallback with. */
export const RESULTS_ID = 'results';

function skip(e: MouseEvent<HTMLAnchorElement>): void {
  e.preventDefault();
  const cell = document.querySelector<HTMLElement>('[role="grid"] [tabindex="0"]');
  const heading = document.getElementById(RESULTS_ID);
  (cell ?? heading)?.focus();
  (cell ?? heading)?.scrollIntoView({ block: 'start' });
}

export function SkipLink() {
  return (
    <a className="skip-link" href={`#${RESULTS_ID}`} onClick={skip}>
      Skip to results
    </a>
  );
}
