// The results grid: rows × (inputs, targets). TanStack Table owns the columns and their
// visibility, TanStack Virtual decides which rows exist in the DOM (a 10,000-row run keeps a
// screenful plus overscan), and this file owns the ARIA grid markup and keyboard navigation
// (arrows between cells, Home/End, PageUp/PageDown, Enter opens the drawer).
import {
  type Cell, type ColumnDef, columnVisibilityFeature, createColumnHelper, tableFeatures, useTable,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from 'react';
import { asText } from '../lib/format.js';
import type { RunModel } from './run-model.js';
import { useGrid } from './run-derived.js';
import { type RunStore, useRunState } from './run-store.js';
import { useCompare } from './compare-store.js';
import { reviewedCells, useReviews } from './review-store.js';
import { type CellChange, cellKey, type GridRow } from './run-view.js';
import { TargetCell } from './target-cell.js';

/** Every row has one height, so the virtualiser never measures (no layout work while scrolling). */
export const ROW_HEIGHT = 76;
// Rows kept beyond the visible ones on each side: enough for arrow keys and a wheel notch, few
// enough that a fast scroll mounts little (each row is ~5 elements).
const OVERSCAN = 4;

const features = tableFeatures({ columnVisibilityFeature });
type Features = typeof features;
const helper = createColumnHelper<Features, GridRow>();

/** Column kinds, read by the renderer from the column id. */
const INPUT = 'in:';
const TARGET = 't:';

function useColumns(model: RunModel, version: number): ColumnDef<Features, GridRow, unknown>[] {
  const inputs = model.columns.join('\u0000');
  const targets = model.targets.map((t) => `${t.id}\u0001${t.name}`).join('\u0000');
  return useMemo(
    () => [
      helper.display({ id: 'row', header: '#' }),
      ...model.columns.map((key) => helper.display({ id: INPUT + key, header: key })),
      ...model.targets.map((t) => helper.display({ id: TARGET + t.id, header: t.name })),
    ],
    // Rebuilt only when the set of columns changes, not on every result.
    [inputs, targets, version > 0],
  ) as ColumnDef<Features, GridRow, unknown>[];
}

// Widths from CSS variables (styles.css): a phone's narrower ones put the first target's output on screen.
const VAR = (id: string) => (id === 'row' ? 'var(--row-w)' : id.startsWith(TARGET) ? 'var(--target-min)' : 'var(--input-min)');
const widthOf = (id: string) => (id === 'row' ? VAR(id) : `minmax(${VAR(id)}, ${id.startsWith(TARGET) ? 2 : 1}fr)`);

export function Grid({ store }: { store: RunStore }) {
  const version = useRunState(store, (s) => s.version);
  const columnVisibility = useRunState(store, (s) => s.columnVisibility);
  const view = useRunState(store, (s) => s.view);
  const dataLoadedAt = useRunState(store, (s) => s.dataLoadedAt);
  const grid = useGrid(store);
  const columns = useColumns(store.model, version);
  // Compare mode's changed cells (none while it is off).
  const changes = useCompare(store.compare, (s) => (s.on ? s.changes : undefined));
  const reviewed = reviewedCells(useReviews(store.reviews, (s) => s.byKey));

  const table = useTable({
    features,
    columns,
    data: grid.rows,
    getRowId: (gr) => String(gr.row.index),
    state: { columnVisibility },
    onColumnVisibilityChange: (updater) => store.setColumnVisibility(typeof updater === 'function' ? updater(store.state.get().columnVisibility) : updater),
  });

  // The target filter hides the other targets' columns.
  const visible = table.getVisibleLeafColumns().filter((c) => !c.id.startsWith(TARGET) || grid.targetIds.includes(c.id.slice(TARGET.length)));
  const visibleIds = visible.map((c) => c.id);
  const template = visibleIds.map(widthOf).join(' ');
  const minWidth = `calc(${visibleIds.map(VAR).join(' + ')})`;
  const rows = table.getRowModel().rows;

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    getItemKey: (i) => rows[i]?.id ?? i,
    // Render a scroll's rows in React's next task, not inside the scroll event: frames while
    // scrolling fast stayed under ~90 ms instead of up to ~170 ms on this machine.
    useFlushSync: false,
  });

  // Keyboard focus: one cell is tabbable (roving tabindex); arrows move it.
  const [focus, setFocus] = useState({ pos: 0, col: 0 });
  /**
   * The cell a key's move still waits to focus, and until when (performance.now() ms); null:
   * none waits. The target lives here, not in the rendered state: a render of an earlier move
   * (PageDown's row 24) that commits after a later one (Ctrl+End) was made would otherwise
   * focus the earlier cell, end the wait, and leave focus on <body> once the scroll unmounted
   * it (seen in CI, 1 run in 5 on an idle machine).
   */
  const focusWait = useRef<{ p: number; c: number; until: number } | null>(null);
  const pos = Math.min(focus.pos, Math.max(0, rows.length - 1));
  const col = Math.min(focus.col, Math.max(0, visibleIds.length - 1));

  // Runs after every render. A far move (PageDown, Ctrl+End) scrolls first and the virtualiser
  // mounts the target row a render or two later, so the cell is focused on the render that has
  // it; meanwhile the old cell may have unmounted and focus sits on <body>. The move is dropped
  // once focus is somewhere else on the page (the person went on), or after ten seconds.
  // A frame loop backs it up (`move`): on a loaded machine the render that mounts the row can
  // come late, or be the last one for a while, and a move that waited only for renders, and
  // only 3 s, left focus on <body> (seen once in CI after Ctrl+End on a 300-row grid).
  const focusPending = (): boolean => {
    const wait = focusWait.current;
    if (wait === null) return false;
    const { p, c } = wait;
    const at = document.activeElement;
    const elsewhere = at !== null && at !== document.body && !scrollRef.current?.contains(at);
    if (elsewhere || performance.now() > wait.until) {
      focusWait.current = null;
      return false;
    }
    const cell = scrollRef.current?.querySelector<HTMLElement>(`[data-pos="${p}"] [data-col="${c}"]`);
    if (!cell) return true;
    focusWait.current = null;
    cell.focus({ preventScroll: true });
    return false;
  };
  useEffect(() => {
    focusPending();
  });

  // The measurement the 10,000-row test reads: the first paint after the data arrived.
  const painted = useRef(false);
  useEffect(() => {
    if (painted.current || dataLoadedAt === undefined || rows.length === 0) return;
    painted.current = true;
    requestAnimationFrame(() => requestAnimationFrame(() => performance.mark('assay:grid-painted')));
  }, [dataLoadedAt, rows.length]);

  const move = (nextPos: number, nextCol: number) => {
    const p = Math.max(0, Math.min(rows.length - 1, nextPos));
    const c = Math.max(0, Math.min(visibleIds.length - 1, nextCol));
    const wait = { p, c, until: performance.now() + 10_000 };
    focusWait.current = wait;
    // Until the target row mounts, the grid itself holds focus: when the old cell unmounts,
    // focus would otherwise fall to <body>, and keys pressed meanwhile (a quick Ctrl+End after
    // PageDown) would go to the page instead of the grid.
    const grid = scrollRef.current;
    if (grid && !grid.querySelector(`[data-pos="${p}"] [data-col="${c}"]`) && grid.contains(document.activeElement)) grid.focus({ preventScroll: true });
    setFocus({ pos: p, col: c });
    virtualizer.scrollToIndex(p, { align: 'auto' });
    const retry = () => {
      // A later move owns the focus from then on.
      if (focusWait.current === wait && focusPending()) requestAnimationFrame(retry);
    };
    requestAnimationFrame(retry);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? ROW_HEIGHT * 10) / ROW_HEIGHT) - 1);
    switch (e.key) {
      case 'ArrowDown': move(pos + 1, col); break;
      case 'ArrowUp': move(pos - 1, col); break;
      case 'ArrowRight': move(pos, col + 1); break;
      case 'ArrowLeft': move(pos, col - 1); break;
      case 'PageDown': move(pos + page, col); break;
      case 'PageUp': move(pos - page, col); break;
      case 'Home': move(e.ctrlKey ? 0 : pos, 0); break;
      case 'End': move(e.ctrlKey ? rows.length - 1 : pos, visibleIds.length - 1); break;
      case 'Enter': {
        const id = visibleIds[col];
        const gr = rows[pos]?.original;
        if (!id?.startsWith(TARGET) || !gr) return;
        store.openCell({ rowIndex: gr.row.index, targetId: id.slice(TARGET.length) });
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  };

  const headers = table.getHeaderGroups()[0]?.headers.filter((h) => visibleIds.includes(h.column.id)) ?? [];
  const items = virtualizer.getVirtualItems();

  return (
    <div
      className="grid-scroll"
      ref={scrollRef}
      role="grid"
      aria-label="Results grid"
      aria-rowcount={rows.length + 1}
      aria-colcount={visibleIds.length}
      // Focusable from code only: it holds focus while a far move's row mounts (`move`).
      tabIndex={-1}
      onKeyDown={onKeyDown}
    >
      <div className="grid-inner" style={{ minWidth }}>
        <div role="rowgroup" className="grid-head">
          <div role="row" aria-rowindex={1} className="grid-row head" style={{ gridTemplateColumns: template }}>
            {headers.map((h, i) => (
              <div role="columnheader" aria-colindex={i + 1} key={h.id} className={h.column.id.startsWith(TARGET) ? 'target' : ''} dir="auto">
                {String(h.column.columnDef.header ?? h.column.id)}
              </div>
            ))}
          </div>
        </div>
        <div role="rowgroup" className="grid-body" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            return (
              <GridRowView
                key={row.id}
                gr={row.original}
                cells={row.getVisibleCells().filter((c) => visibleIds.includes(c.column.id))}
                pos={item.index}
                start={item.start}
                template={template}
                focusCol={item.index === pos ? col : -1}
                model={store.model}
                evaluatorId={view.evaluatorId}
                changes={changes}
                reviewed={reviewed}
                version={version}
                onOpen={(targetId, c) => {
                  setFocus({ pos: item.index, col: c });
                  store.openCell({ rowIndex: row.original.row.index, targetId });
                }}
              />
            );
          })}
        </div>
      </div>
      {rows.length === 0 && <p className="grid-empty">No rows match.</p>}
    </div>
  );
}

interface RowProps {
  gr: GridRow;
  cells: Cell<Features, GridRow, unknown>[];
  pos: number;
  start: number;
  template: string;
  /** Column index of the focused cell in this row, or -1. */
  focusCol: number;
  model: RunModel;
  evaluatorId: string | null;
  /** Compare mode: how each row × target changed against the baseline. */
  changes: ReadonlyMap<string, CellChange> | undefined;
  /** Row × target keys with a review. */
  reviewed: ReadonlySet<string>;
  /** Model version: rows re-render when results arrive. */
  version: number;
  onOpen(targetId: string, col: number): void;
}

function GridRowView({ gr, cells, pos, start, template, focusCol, model, evaluatorId, changes, reviewed, onOpen }: RowProps) {
  const cellChange = (targetId: string) => changes?.get(cellKey(gr.row.index, targetId));
  // The row's mark: regressed when any target's cell regressed, else improved when one improved.
  const marks = changes ? model.targets.map((t) => cellChange(t.id)) : [];
  const rowChange = marks.includes('regressed') ? 'regressed' : marks.includes('improved') ? 'improved' : undefined;
  return (
    <div role="row" aria-rowindex={pos + 2} data-pos={pos} data-row-index={gr.row.index} data-change={rowChange} className={`grid-row${rowChange ? ` changed-${rowChange}` : ''}`} style={{ gridTemplateColumns: template, transform: `translateY(${start}px)` }}>
      {cells.map((cell, i) => {
        const id = cell.column.id;
        const tabIndex = i === focusCol ? 0 : -1;
        if (id === 'row') {
          return (
            <div role="rowheader" aria-colindex={i + 1} data-col={i} tabIndex={tabIndex} key={id} className="cell index">
              {gr.row.index}
            </div>
          );
        }
        if (id.startsWith(INPUT)) {
          const text = gr.row.entry ? asText(gr.row.entry[id.slice(INPUT.length)]) : '…';
          return (
            <div role="gridcell" aria-colindex={i + 1} data-col={i} tabIndex={tabIndex} key={id} className="cell input" title={text && text !== '…' ? text.slice(0, 500) : undefined}>
              <span className="clamp" dir="auto">{text}</span>
            </div>
          );
        }
        const targetId = id.slice(TARGET.length);
        return (
          <TargetCell
            key={id}
            col={i}
            tabIndex={tabIndex}
            cell={gr.row.cells.get(targetId)}
            shown={gr.shown.has(targetId)}
            change={cellChange(targetId)}
            reviewed={reviewed.has(cellKey(gr.row.index, targetId))}
            evaluatorId={evaluatorId}
            evaluatorName={(eid) => model.evaluators.get(eid) ?? eid}
            onOpen={() => onOpen(targetId, i)}
          />
        );
      })}
    </div>
  );
}
