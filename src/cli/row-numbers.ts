// `--rows`: the row numbers a run takes, as the web form accepts them — numbers and ranges,
// "0-4,7,10-12" — and the same numbers written back in messages.
import { MAX_ROW_INDICES } from '../core/model/run.js';
import { CliError } from './cli-error.js';

const USAGE = '--rows takes row numbers and ranges, e.g. 0,2,5 or 0-4,7,10-12';

/**
 * `--rows 0-4,7,10-12` as the numbers it names, in its order (a number given twice runs twice,
 * as the server does). Refuses what is not a number or a range, a range that runs backwards,
 * and more than the server's limit of row indices — counted before a range is expanded, so
 * `0-999999999` is refused at once.
 */
export function parseRows(raw: string): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  const ranges: [number, number][] = [];
  for (const part of parts) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new CliError(part === '' || parts.length === 1 ? `${USAGE} (got "${raw}")` : `${USAGE}: "${part}" is neither (in "${raw}")`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new CliError(`--rows: ${part} is past the largest row number`);
    if (to < from) throw new CliError(`--rows: the range ${part} runs backwards; write ${to}-${from}`);
    ranges.push([from, to]);
  }
  const count = ranges.reduce((n, [from, to]) => n + to - from + 1, 0);
  if (count > MAX_ROW_INDICES) throw new CliError(`--rows "${raw}" names ${count} rows; a run takes at most ${MAX_ROW_INDICES} (run more in several runs, or without --rows to run every row)`);
  const rows: number[] = [];
  for (const [from, to] of ranges) for (let r = from; r <= to; r++) rows.push(r);
  return rows;
}

/** "row 5", "rows 5, 7" or "rows 3-19, 25": for messages about --rows (sorted, each once, runs of three or more as ranges). */
export function rowList(rows: number[]): string {
  const sorted = [...new Set(rows)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${sorted[i]}-${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return `row${sorted.length > 1 ? 's' : ''} ${parts.join(', ')}`;
}
