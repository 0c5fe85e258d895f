import { describe, expect, it } from 'vitest';
import { turnsDuring } from '../testing/turns.js';
import { checkRowArray } from './row-sources.js';

describe('checking parsed rows', () => {
  const rows = Array.from({ length: 300_000 }, (_, i) => ({ question: `question number ${i}`, expected: `answer ${i}` }));

  it('sizes 300,000 rows over several turns of the event loop', async () => {
    const turns = await turnsDuring(() => checkRowArray(rows, { maxRows: 1_000_000, maxRowBytes: 1024 }, 'rows'));
    expect(turns).toBeGreaterThanOrEqual(1);
  });

  it('names the first row over the size limit', async () => {
    const big = [...rows.slice(0, 5_000), { question: 'x'.repeat(2_000) }];
    await expect(checkRowArray(big, { maxRows: 1_000_000, maxRowBytes: 1024 }, 'rows')).rejects.toMatchObject({ code: 'payload_too_large', meta: { rowIndex: 5_000, limitBytes: 1024 } });
  });
});
