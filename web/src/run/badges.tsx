// Verdict badges. Each names its status in words for assistive technology ("passed",
// "failed", "skipped", "error"), with the score or label when there is one.
import type { EvalView } from './cell-views.js';

export type BadgeStatus = 'passed' | 'failed' | 'skipped' | 'error' | 'scored';

const ICON: Record<BadgeStatus, string> = { passed: '✓', failed: '✗', skipped: '–', error: '!', scored: '•' };

export function evalStatus(e: EvalView): BadgeStatus {
  if (e.status === 'error') return 'error';
  if (e.status === 'skipped') return 'skipped';
  if (e.passed === true) return 'passed';
  if (e.passed === false) return 'failed';
  return 'scored';
}

export const fmtScore = (s: number) => (Number.isInteger(s) ? String(s) : s.toFixed(2));

/**
 * One evaluator's badge; over repeats, `passed` counts how many of `n` passed. In a narrow grid
 * cell the name and the label give way (clipped; the tooltip has them whole) and the figures
 * never do: they are what a reader scans the grid for.
 */
export function VerdictBadge({ name, status, score, label, passed, n, skipped = 0 }: { name: string; status: BadgeStatus; score?: number | undefined; label?: string | undefined; passed?: number; n?: number; skipped?: number }) {
  // Over repeats, `n` counts the judged ones (skipped left out): "1/2" of three repeats, one skipped.
  const many = n !== undefined && n + skipped > 1 && n > 0;
  const figures = [many ? `${passed}/${n}` : n === 0 && skipped > 1 ? 'skipped' : '', score !== undefined ? fmtScore(score) : ''].filter(Boolean).join(' ');
  const spoken = `${name}: ${status === 'scored' ? 'score' : status}${score !== undefined ? `, score ${fmtScore(score)}` : ''}${label ? `, label ${label}` : ''}${many ? `, ${passed} of ${n} passed` : ''}${skipped > 0 && status !== 'skipped' ? `, ${skipped} skipped` : ''}`;
  return (
    <span className={`badge ${status}`} role="img" aria-label={spoken} title={spoken} data-status={status}>
      {/* The spaces keep the copied text readable; a flex row does not lay them out. */}
      <span className="badge-icon" aria-hidden="true">{ICON[status]}</span>{' '}
      <span className="badge-name" dir="auto">{name}</span>
      {figures && <>{' '}<span className="badge-figures">{figures}</span></>}
      {label && <>{' '}<span className="badge-label" dir="auto">{label}</span></>}
    </span>
  );
}

/** A cell's own verdict: passed/n over repeats, and whether the repeats disagree. */
export function StatusPill({ status }: { status: 'passed' | 'failed' | 'error' | 'running' | 'completed' | 'stopped' | 'filtered' }) {
  return (
    <span className={`pill ${status}`} data-status={status}>
      {status}
    </span>
  );
}
