// The detail drawer of one cell: the whole row's inputs, then each repeat's output (text,
// JSON or Markdown), evaluator results with details, attempts and retries, tokens, cost,
// latency and errors. A modal dialog: Tab stays inside it, and Escape or the close button
// returns to the grid (to the cell shown last, or the one that opened it). Previous and next
// step through the grid's cells in its order (drawer-nav.ts): buttons, or "[" and "]" (Alt+↑
// and Alt+↓ while typing in a field).
import { type ReactNode, useEffect, useRef } from 'react';
import { inOut, ms, usd } from '../lib/format.js';
import { evalStatus, fmtScore, VerdictBadge } from './badges.js';
import { useCompare } from './compare-store.js';
import { OutputDiff } from './output-diff.js';
import { OutputView } from './output-view.js';
import { RequestView } from './request-view.js';
import { ReviewForm } from './review-form.js';
import { cellKey } from './run-view.js';
import { cellOutcome, type RepeatView, repeatVerdict } from './cell-views.js';
import { navKey, neighbourCell } from './drawer-nav.js';
import { useGrid } from './run-derived.js';
import { type RunStore, useRunState } from './run-store.js';

export function Drawer({ store }: { store: RunStore }) {
  const ref = useRunState(store, (s) => s.drawer);
  useRunState(store, (s) => s.version);
  const changed = useCompare(store.compare, (s) => (s.on && ref ? s.items.get(cellKey(ref.rowIndex, ref.targetId)) : undefined));
  const close = useRef<HTMLButtonElement>(null);
  const dialog = useRef<HTMLElement>(null);
  const opener = useRef<Element | null>(null);
  const grid = useGrid(store);
  const visibility = useRunState(store, (s) => s.columnVisibility);
  const targetIds = grid.targetIds.filter((id) => visibility[`t:${id}`] !== false);
  const prev = ref && neighbourCell(grid, targetIds, ref, -1);
  const next = ref && neighbourCell(grid, targetIds, ref, 1);
  // The cell shown last, kept through the render that closes the drawer (focus goes back to it).
  const shown = useRef(ref);
  if (ref) shown.current = ref;
  const open = ref !== null;

  // Opening focuses Close; closing gives focus back to the grid.
  useEffect(() => {
    if (!open) return;
    opener.current = document.activeElement;
    close.current?.focus();
    return () => {
      const last = shown.current;
      const cell = last && document.querySelector<HTMLElement>(`[data-cell="${last.rowIndex}:${CSS.escape(last.targetId)}"]`);
      (cell ?? (opener.current as HTMLElement | null))?.focus?.();
    };
  }, [open]);

  // Another cell starts at the top.
  useEffect(() => {
    if (dialog.current) dialog.current.scrollTop = 0;
  }, [ref?.rowIndex, ref?.targetId]);

  useEffect(() => {
    if (!open) return;
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === 'Escape') store.openCell(null);
      else if (e.key === 'Tab' && dialog.current) trapTab(e, dialog.current);
      else {
        const step = navKey(e);
        const to = step === -1 ? prev : step === 1 ? next : null;
        if (!to) return;
        e.preventDefault();
        store.openCell(to);
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [open, prev, next, store]);

  if (!ref) return null;
  const row = store.model.rows.get(ref.rowIndex);
  const cell = row?.cells.get(ref.targetId);
  const target = store.model.targets.find((t) => t.id === ref.targetId);
  const repeats = (cell?.repeats ?? []).filter((r): r is RepeatView => Boolean(r));
  const outcome = cellOutcome(cell);
  const title = `Row ${ref.rowIndex} × ${target?.name ?? ref.targetId}`;

  return (
    <div className="drawer-backdrop" onClick={(e) => e.target === e.currentTarget && store.openCell(null)}>
      <aside ref={dialog} className="drawer" role="dialog" aria-modal="true" aria-labelledby="drawer-title">
        <header className="drawer-head">
          <h2 id="drawer-title">{title}</h2>
          <span className="drawer-nav">
            <button type="button" disabled={!prev} onClick={() => prev && store.openCell(prev)} aria-keyshortcuts="[ Alt+ArrowUp" title="Previous cell ([ or Alt+↑)">
              ↑ Previous
            </button>
            <button type="button" disabled={!next} onClick={() => next && store.openCell(next)} aria-keyshortcuts="] Alt+ArrowDown" title="Next cell (] or Alt+↓)">
              Next ↓
            </button>
            <button ref={close} type="button" onClick={() => store.openCell(null)} aria-keyshortcuts="Escape">
              Close
            </button>
          </span>
        </header>
        <p className="muted drawer-keys" data-testid="drawer-keys">
          Keys: <kbd>[</kbd> and <kbd>]</kbd> (or <kbd>Alt</kbd>+<kbd>↑</kbd> and <kbd>Alt</kbd>+<kbd>↓</kbd>) step to the previous and next cell of the grid; <kbd>Esc</kbd> closes.
        </p>
        <p>
          {outcome.n > 1 ? `${outcome.passed}/${outcome.n} repeats passed` : outcome.n === 1 ? (outcome.passed === 1 ? 'Passed' : 'Did not pass') : 'Not finished'}
          {outcome.flaky ? ' — flaky: the repeats disagree' : ''}
        </p>
        <section aria-labelledby="drawer-inputs">
          <h3 id="drawer-inputs">Row inputs</h3>
          {row?.entry ? (
            <table className="kv">
              <tbody>
                {Object.entries(row.entry).map(([k, v]) => (
                  <tr key={k}>
                    <th scope="row" dir="auto">{k}</th>
                    <td>
                      <pre dir="auto">{typeof v === 'string' ? v : JSON.stringify(v, null, 2)}</pre>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">Loading the row's inputs…</p>
          )}
          {(target?.type === 'prompt' || target?.type === 'http') && <RequestView runId={store.runId} rowIndex={ref.rowIndex} targetId={ref.targetId} kind={target.type} />}
        </section>
        {changed && changed.length > 0 && (
          <section aria-labelledby="drawer-baseline" className="against-baseline">
            <h3 id="drawer-baseline">Against the baseline</h3>
            <ul>
              {changed.map((i) => (
                <li key={i.evaluatorId}>
                  <span className={`change ${i.change}`}>{i.change}</span> {store.model.evaluators.get(i.evaluatorId) ?? i.evaluatorId}: {side(i.baseline)} → {side(i.candidate)}
                  {i.baselineRowIndex !== i.rowIndex ? ` (baseline row ${i.baselineRowIndex})` : ''}
                </li>
              ))}
            </ul>
            <h4>Output against the baseline</h4>
            <OutputDiff baseline={changed[0]!.baseline.output} candidate={changed[0]!.candidate.output} />
            <h4>Baseline output</h4>
            <OutputView output={changed[0]!.baseline.output} />
          </section>
        )}
        {repeats.map((r) => (
          // Keyed by the cell too: stepping to another cell gives each repeat a fresh review form.
          <RepeatDetails key={`${ref.rowIndex}:${ref.targetId}:${r.repeat}`} r={r} many={repeats.length > 1} name={(id) => store.model.evaluators.get(id) ?? id}>
            {r.done && (
              <ReviewForm store={store} rowIndex={ref.rowIndex} targetId={ref.targetId} repeat={r.repeat} evaluatorIds={r.evaluations.map((e) => e.evaluatorId)} name={(id) => store.model.evaluators.get(id) ?? id} />
            )}
          </RepeatDetails>
        ))}
      </aside>
    </div>
  );
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/**
 * Keeps Tab and Shift+Tab inside the dialog: aria-modal tells assistive technology the rest of
 * the page is out of reach, and the keyboard must agree. From the last control Tab wraps to the
 * first and Shift+Tab from the first to the last; focus found outside is brought back in.
 */
function trapTab(e: globalThis.KeyboardEvent, dialog: HTMLElement): void {
  // A radio group is one Tab stop, its checked radio.
  const tabStop = (el: HTMLElement) => !(el instanceof HTMLInputElement && el.type === 'radio' && !el.checked && dialog.querySelector(`input[type="radio"][name="${CSS.escape(el.name)}"]:checked`));
  // Controls that are hidden (a collapsed <details>, display:none) have no box and cannot take focus.
  const controls = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0 && tabStop(el));
  const first = controls[0];
  const last = controls[controls.length - 1];
  if (!first || !last) return;
  const at = document.activeElement;
  const inside = at instanceof Node && dialog.contains(at);
  if (!inside || (e.shiftKey ? at === first : at === last)) {
    e.preventDefault();
    (e.shiftKey ? last : first).focus();
  }
}

/** One side of a compared item: its verdict (share of repeats that passed) and score. */
function side(s: { passed: boolean | number | null; score: number | null }): string {
  const verdict = s.passed === null ? '' : typeof s.passed === 'boolean' ? (s.passed ? 'passed' : 'failed') : `${Math.round(s.passed * 100)}% passed`;
  return [verdict, s.score !== null ? `score ${fmtScore(s.score)}` : ''].filter(Boolean).join(', ') || '—';
}

function RepeatDetails({ r, many, name, children }: { r: RepeatView; many: boolean; name(id: string): string; children?: ReactNode }) {
  const verdict = repeatVerdict(r);
  return (
    <section className="repeat" aria-label={many ? `Repeat ${r.repeat}` : 'Result'}>
      {many && <h3>Repeat {r.repeat}</h3>}
      <dl className="facts">
        <div><dt>Verdict</dt><dd data-verdict={verdict}>{verdict}</dd></div>
        <div><dt>Latency</dt><dd>{ms(r.duration)}</dd></div>
        <div><dt>Cost</dt><dd>{usd(r.cost)}</dd></div>
        <div><dt>Tokens</dt><dd>{inOut(r.tokens)}</dd></div>
        <div><dt>Attempts</dt><dd>{r.attempts}</dd></div>
        {r.cached && <div><dt>Cached</dt><dd>yes (no provider call)</dd></div>}
      </dl>
      {r.retries.length > 0 && (
        <>
          <h4>Retries</h4>
          <ul>
            {r.retries.map((x) => (
              <li key={x.attempt}>
                Attempt {x.attempt}: {x.reason} (waited {ms(x.delayMs)})
              </li>
            ))}
          </ul>
        </>
      )}
      <h4>Output</h4>
      {!r.done ? <p className="muted">Running…</p> : r.error !== undefined ? <pre className="error-text" dir="auto">{r.error}</pre> : <OutputView output={r.output} />}
      {r.evaluations.length > 0 && (
        <>
          <h4>Evaluators</h4>
          <ul className="evals">
            {r.evaluations.map((e) => (
              <li key={e.evaluatorId}>
                <VerdictBadge name={name(e.evaluatorId)} status={evalStatus(e)} score={e.score} label={e.label} />
                <span className="meta">
                  {e.score !== undefined ? ` score ${fmtScore(e.score)}` : ''} {e.unpricedCalls ? (e.cost !== undefined ? `≥ ${usd(e.cost)}` : 'cost unknown') : e.cost !== undefined ? usd(e.cost) : ''} {ms(e.duration)}
                </span>
                {e.details && <pre className="details" dir="auto">{e.details}</pre>}
              </li>
            ))}
          </ul>
        </>
      )}
      {children}
    </section>
  );
}
