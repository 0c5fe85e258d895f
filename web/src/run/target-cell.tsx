// One target's cell in the grid: the output (or error), the evaluators' verdicts, and the
// cost and latency. With repeats: `passed/n` and a flaky marker when the repeats disagree.
import { asText, ms, usd } from '../lib/format.js';
import { VerdictBadge } from './badges.js';
import { aggregate } from './cell-aggregate.js';
import { cellOutcome, type CellView, type RepeatView } from './cell-views.js';
import type { CellChange } from './run-view.js';

interface Props {
  col: number;
  tabIndex: number;
  cell: CellView | undefined;
  /** False when the cell filters leave this cell out (its row stays for another target). */
  shown: boolean;
  /** Compare mode: how this cell changed against the baseline. */
  change?: CellChange | undefined;
  /** A person reviewed this cell (or one of its evaluators). */
  reviewed?: boolean;
  evaluatorId: string | null;
  evaluatorName(id: string): string;
  onOpen(): void;
}

export function TargetCell({ col, tabIndex, cell, shown, change, reviewed, evaluatorId, evaluatorName, onOpen }: Props) {
  if (!shown) {
    return (
      <div role="gridcell" aria-colindex={col + 1} data-col={col} tabIndex={tabIndex} className="cell target filtered" aria-label="filtered out">
        <span aria-hidden="true">—</span>
      </div>
    );
  }
  const repeats = (cell?.repeats ?? []).filter((r): r is RepeatView => r?.done === true);
  const outcome = cellOutcome(cell);
  if (repeats.length === 0) {
    return (
      <div role="gridcell" aria-colindex={col + 1} data-col={col} tabIndex={tabIndex} className="cell target pending" data-verdict="running">
        <span className="muted">{cell ? 'running…' : 'pending'}</span>
      </div>
    );
  }
  const first = repeats[0]!;
  const durations = repeats.map((r) => r.duration).filter((d): d is number => d !== undefined);
  const cost = repeats.reduce((s, r) => s + (r.cost ?? 0), 0);
  return (
    <div
      role="gridcell"
      aria-colindex={col + 1}
      data-col={col}
      tabIndex={tabIndex}
      className={`cell target v-${outcome.verdict}`}
      data-cell={`${cell!.rowIndex}:${cell!.targetId}`}
      data-verdict={outcome.verdict}
      data-change={change}
      onClick={onOpen}
    >
      {/* dir="auto": an Arabic or Hebrew output reads right to left, from its own first letter. */}
      <div className="output clamp" dir="auto">
        {first.error !== undefined ? <span className="error-text">Error: {first.error}</span> : asText(first.output)}
      </div>
      <div className="cell-foot">
        {change && (
          <span className={`change ${change}`} data-testid="change-marker" title={`${change === 'regressed' ? 'Worse' : 'Better'} than the baseline`}>
            <span aria-hidden="true">{change === 'regressed' ? '▼' : '▲'}</span> {change}
          </span>
        )}
        {reviewed && (
          <span className="reviewed-mark" data-testid="reviewed-mark" title="A person reviewed this cell; open it for the review">
            reviewed
          </span>
        )}
        {outcome.n > 1 && (
          <span className="repeats" title={`${outcome.passed} of ${outcome.n} repeats passed`}>
            {outcome.passed}/{outcome.n}
          </span>
        )}
        {outcome.flaky && <span className="flaky" title="The repeats of this row disagree">flaky</span>}
        {aggregate(repeats, evaluatorId).map((a) => (
          <VerdictBadge key={a.id} name={evaluatorName(a.id)} status={a.status} score={a.score} label={a.label} passed={a.passed} n={a.n} skipped={a.skipped} />
        ))}
        <span className="meta">
          {cost > 0 ? usd(cost) : ''} {durations.length > 0 ? ms(durations.reduce((x, y) => x + y, 0) / durations.length) : ''}
        </span>
      </div>
    </div>
  );
}
