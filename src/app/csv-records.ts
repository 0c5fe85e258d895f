// The pre-scan of CSV uploads: it reads the text before csv-parse does, to refuse a record that
// is too wide or too long before the parser builds it (why: csvRecords below). row-sources.ts
// pipes its output into the parser.
import { AssayError } from '../core/errors.js';
import { MAX_COLUMNS, rowTooLarge, type RowLimits, tooManyColumns } from './row-limits.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * CSV text passed on to the parser, a record refused before the parser builds it when it has
 * more than MAX_COLUMNS fields (400) or more than twice `maxRowBytes` characters (413; its JSON
 * is at least as long). csv-parse collects a record whole and only then are its fields counted and
 * its size checked: a header of a million columns (8.9 MB) held the thread 1.5 s and overflowed
 * the stack, and a field of hundreds of megabytes would be built before it was refused. This
 * reads the text the way csv-parse does with the options used here: `"` quotes (`""` inside
 * quotes is one, which toggles the state twice), `,` separates fields, and records end at the
 * line break it discovers first outside quotes (`\r\n`, `\n` or `\r`), the others being data.
 * One pass of comparisons, ≈ 1% of csv-parse's own time on the same text.
 */
export async function* csvRecords(texts: AsyncIterable<string>, limits: RowLimits): AsyncIterable<string> {
  let quoting = false;
  /** The record delimiter, once discovered; `pendingCr`: a CR outside quotes came first, and what follows it decides. */
  let delimiter: 'crlf' | 'lf' | 'cr' | undefined;
  let pendingCr = false;
  /** The previous character was a CR (for CRLF, and for line numbers). */
  let afterCr = false;
  let fields = 1;
  /** Characters of the current record in earlier chunks. */
  let carried = 0;
  /** Line numbers as csv-parse counts them (a CR, an LF, a CRLF: one line break each), for messages. */
  let line = 1;
  let recordLine = 1;
  /** Records with characters in them so far (csv-parse skips empty lines): the first is the header. */
  let records = 0;
  const max = limits.maxRowBytes;
  // A record up to twice the limit is parsed, so that checkRow names its size exactly; past that
  // it is refused unread.
  const maxChars = 2 * max;
  const tooLong = (): AssayError =>
    records === 0
      ? new AssayError('payload_too_large', `The CSV header at line ${recordLine} is more than ${max} bytes; a row may have at most ${max}, and every row holds the header's names`, {
          meta: { line: recordLine, limitBytes: max },
          issues: [{ path: ['line', recordLine], message: `header larger than ${max} bytes` }],
        })
      : rowTooLarge({ index: records - 1, line: recordLine }, undefined, max);
  for await (const text of texts) {
    let start = 0;
    /** The record ends with its delimiter at `at`; the next one begins at `next`. */
    const end = (at: number, next: number): void => {
      const chars = carried + at - start;
      if (chars > maxChars) throw tooLong();
      if (chars > 0) records++;
      fields = 1;
      carried = 0;
      start = next;
      recordLine = line;
    };
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (pendingCr) {
        pendingCr = false;
        if (c === LF) {
          delimiter = 'crlf';
          afterCr = false;
          end(i - 1, i + 1);
          continue;
        }
        // csv-parse settles on CR: the record ended there, and this character begins the next.
        delimiter = 'cr';
        end(i - 1, i);
      }
      const crBefore = afterCr;
      afterCr = c === CR;
      if (c === CR || (c === LF && !crBefore)) line++;
      if (quoting) {
        if (c === QUOTE) quoting = false;
        continue;
      }
      if (c === QUOTE) quoting = true;
      else if (c === COMMA) {
        if (++fields > MAX_COLUMNS) throw tooManyColumns(`${records === 0 ? 'the CSV header' : 'the record'} at line ${recordLine}`, ['line', recordLine]);
      } else if (c === CR) {
        if (delimiter === undefined) pendingCr = true;
        else if (delimiter === 'cr') end(i, i + 1);
      } else if (c === LF) {
        if (delimiter === undefined || delimiter === 'lf') {
          delimiter = 'lf';
          end(i, i + 1);
        } else if (delimiter === 'crlf' && crBefore) end(i - 1, i + 1);
      }
    }
    carried += text.length - start;
    if (carried > maxChars) throw tooLong();
    yield text;
  }
}
