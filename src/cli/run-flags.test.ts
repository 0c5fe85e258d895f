// `assay run`'s row, repeat, concurrency and metadata flags, parsed as a user writes them:
// ranges like the web form's ("0-19", "0-4,7,10-12"), and clear refusals of what is not.
import { describe, expect, it } from 'vitest';
import { buildRunBody } from './run-body.js';
import { parseRows, rowList } from './row-numbers.js';

const refusal = (raw: string) => {
  try {
    parseRows(raw);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`"${raw}" was accepted`);
};

describe('--rows', () => {
  it('takes numbers, ranges and mixes of both', () => {
    expect(parseRows('0-19')).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(parseRows('0-4,7,10-12')).toEqual([0, 1, 2, 3, 4, 7, 10, 11, 12]);
    expect(parseRows(' 5 - 6 , 2 ')).toEqual([5, 6, 2]);
    expect(parseRows('3-3')).toEqual([3]);
    expect(parseRows('0,2,5')).toEqual([0, 2, 5]);
  });

  it('refuses a backwards range, what is not a number, and more rows than a run takes', () => {
    expect(refusal('9-5')).toBe('--rows: the range 9-5 runs backwards; write 5-9');
    expect(refusal('one')).toBe('--rows takes row numbers and ranges, e.g. 0,2,5 or 0-4,7,10-12 (got "one")');
    expect(refusal('0-4,x')).toBe('--rows takes row numbers and ranges, e.g. 0,2,5 or 0-4,7,10-12: "x" is neither (in "0-4,x")');
    for (const bad of ['', '1,,2', '-3', '1-', '1-2-3', '1.5', '0x10']) expect(refusal(bad), bad).toMatch(/^--rows takes row numbers and ranges/);
    expect(refusal('0-99999,100000')).toContain('names 100001 rows; a run takes at most 100000');
    // Counted before anything is expanded: a huge range is refused at once.
    expect(refusal('0-999999999999')).toContain('names 1000000000000 rows');
    expect(parseRows('0-99999')).toHaveLength(100_000);
  });

  it('is written back as ranges in messages', () => {
    expect(rowList([5])).toBe('row 5');
    expect(rowList([7, 5])).toBe('rows 5, 7');
    expect(rowList([3, 4, 5, 6, 19, 20, 25])).toBe('rows 3-6, 19, 20, 25');
  });
});

describe('--repeats, --concurrency and --metadata', () => {
  it('become the run body\'s repeats, concurrency and metadata', async () => {
    const body = await buildRunBody({ repeats: '3', concurrency: '20', metadata: ['commit=0123456', 'branch=feat/x=y', 'note='] });
    expect(body).toEqual({ repeats: 3, concurrency: 20, metadata: { commit: '0123456', branch: 'feat/x=y', note: '' } });
  });

  it('refuses what the server would, naming the flag', async () => {
    const cases: [Parameters<typeof buildRunBody>[0], string][] = [
      [{ repeats: '0' }, '--repeats takes a whole number of runs of each cell, from 1 to 100 (got "0")'],
      [{ repeats: '101' }, '--repeats takes a whole number of runs of each cell, from 1 to 100 (got "101")'],
      [{ repeats: 'two' }, '(got "two")'],
      [{ concurrency: '0' }, '--concurrency takes a whole number of cells run at once, from 1 to 1000 (got "0")'],
      [{ concurrency: '2.5' }, '(got "2.5")'],
      [{ metadata: ['commit'] }, '--metadata needs key=value, e.g. --metadata commit=$GITHUB_SHA (got "commit")'],
      [{ metadata: ['=abc'] }, '--metadata needs key=value'],
      [{ metadata: ['a=1', 'a=2'] }, '--metadata gives "a" twice: give each key once'],
    ];
    for (const [opts, message] of cases) await expect(buildRunBody(opts), JSON.stringify(opts)).rejects.toThrow(message);
  });
});
