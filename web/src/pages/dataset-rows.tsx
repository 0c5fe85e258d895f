// A page of a dataset version's rows as a table: the version's columns, each cell cut at three
// lines (its tooltip has the text, the row's toggle shows the whole row), previous / next by
// offset. The offset is in the address (the page calls `onOffset`), so a page can be linked to.
import { useState } from 'react';
import type { DatasetVersion } from '../api-types.js';
import { api } from '../api.js';
import { int } from '../lib/format.js';
import { useResource } from '../lib/resource.js';
import { TableScroll } from '../lib/table-scroll.js';

/** Rows a page asks for (the server may send fewer: a page ends at 4 MB of stored text). */
export const ROWS_PAGE = 50;
/**
 * Columns shown at most: a dataset may have 10,000, and 50 rows of that many cells is half a
 * million elements for a preview no one reads sideways that far.
 */
const COLUMNS_SHOWN = 50;
/** A tooltip holds this much of a cell; the expanded row has it whole. */
const TITLE_CHARS = 2000;

/** A cell's text: strings as they are, anything else as JSON. */
function cellText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Whether a row may have a cut cell, so its index gets the toggle that opens it: a cell longer
 * than three lines of the narrowest column (8em on a phone, ~15 characters a line) or with a
 * line break. A toggle on every row of short values was noise that opened nothing.
 */
function mayBeCut(row: Record<string, unknown>, columns: string[]): boolean {
  return columns.some((c) => {
    const v = row[c];
    if (v === undefined) return false;
    const text = cellText(v);
    return text.length > 40 || text.includes('\n');
  });
}

const rowsWord = (n: number) => `${int(n)} ${n === 1 ? 'row' : 'rows'}`;

function Cell({ value, open }: { value: unknown; open: boolean }) {
  // A row without the column (rows may differ in their keys) is not an empty string.
  if (value === undefined) return <td className="muted" title="This row has no value for this column">—</td>;
  const text = cellText(value);
  const title = text.length > TITLE_CHARS ? `${text.slice(0, TITLE_CHARS)}… (open the row for the whole)` : text;
  return (
    <td>
      <div className={open ? 'ds-cell open' : 'ds-cell'} title={open ? undefined : title} dir="auto">
        {typeof value === 'string' ? text : <code>{text}</code>}
      </div>
    </td>
  );
}

function Pager({ offset, shown, rowCount, nextOffset, onOffset, where }: {
  offset: number; shown: number; rowCount: number; nextOffset: number | null; onOffset: (offset: number) => void; where: string;
}) {
  // One page holds them all: the count alone, no buttons that do nothing.
  if (offset === 0 && nextOffset === null) return where === 'top' ? <p className="pager muted">{rowsWord(rowCount)}</p> : null;
  const span = shown === 1 ? `Index ${int(offset)}` : `Index ${int(offset)}–${int(offset + shown - 1)}`;
  return (
    <nav className="pager" aria-label={`Rows, ${where}`}>
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - ROWS_PAGE))}>← Previous</button>
      <span className="muted">{span} of {rowsWord(rowCount)}</span>
      <button type="button" disabled={nextOffset === null} onClick={() => nextOffset !== null && onOffset(nextOffset)}>Next →</button>
    </nav>
  );
}

/** Rows [offset, …) of `version` of the dataset `datasetId`; mounted anew for each version and offset. */
export function DatasetRows({ datasetId, version, offset, onOffset }: {
  datasetId: string; version: DatasetVersion; offset: number; onOffset: (offset: number) => void;
}) {
  const [res] = useResource(() => api().datasetRows(datasetId, version.version, offset, ROWS_PAGE));
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  if (res.status === 'loading') return <p className="muted ds-loading">Loading rows…</p>;
  if (res.status === 'error') return <p role="alert" className="error-text">{res.error}</p>;
  const page = res.data;
  const columns = page.columns.slice(0, COLUMNS_SHOWN);
  if (page.rowCount === 0) {
    return <p data-testid="no-rows">This version has no rows{page.columns.length > 0 ? <> (columns: <bdi>{page.columns.join(', ')}</bdi>)</> : ''}.</p>;
  }
  if (page.rows.length === 0) {
    return (
      <p data-testid="no-rows">
        No rows from index {int(offset)}: this version has {int(page.rowCount)}. <button type="button" onClick={() => onOffset(0)}>First rows</button>
      </p>
    );
  }
  const toggle = (index: number) => setOpen((was) => {
    const next = new Set(was);
    if (!next.delete(index)) next.add(index);
    return next;
  });
  const pager = (where: string) => <Pager offset={offset} shown={page.rows.length} rowCount={page.rowCount} nextOffset={page.nextOffset} onOffset={onOffset} where={where} />;
  return (
    <>
      {pager('top')}
      {page.columns.length > COLUMNS_SHOWN && (
        <p className="muted">The first {int(COLUMNS_SHOWN)} of {int(page.columns.length)} columns are shown; the API reads every one (<code>GET /api/datasets/{datasetId}</code>).</p>
      )}
      <TableScroll label="Dataset rows">
        <table className="data wide ds-rows">
          <thead>
            <tr>
              <th scope="col" className="num index">Index</th>
              {columns.map((c) => <th scope="col" key={c} dir="auto">{c}</th>)}
            </tr>
          </thead>
          <tbody>
            {page.rows.map((row, i) => {
              const index = offset + i;
              const isOpen = open.has(index);
              return (
                <tr key={index}>
                  <th scope="row" className="num index">
                    {mayBeCut(row, columns) ? (
                      <button type="button" className="row-toggle" aria-expanded={isOpen} onClick={() => toggle(index)} title={isOpen ? 'Cut the cells again' : 'Show the whole cells of this row'}>
                        <span aria-hidden="true">{isOpen ? '▾' : '▸'}</span> {index}
                        <span className="sr-only">{isOpen ? ', cut the cells' : ', show the whole cells'}</span>
                      </button>
                    ) : (
                      index
                    )}
                  </th>
                  {columns.map((c) => <Cell key={c} value={row[c]} open={isOpen} />)}
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
      {page.rows.length > 10 && pager('bottom')}
    </>
  );
}
