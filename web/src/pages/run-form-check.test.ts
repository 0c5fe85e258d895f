// The Run form's checks: rows the dataset does not have (`5` on a 2-row dataset started a run
// of 0 cells) and every bad parameter line at once (only the first was reported).
import { describe, expect, it } from 'vitest';
import { checkRunForm, parseParameters, parseRows, rowErrors } from './run-form-check.js';

describe('parseRows', () => {
  it('reads lists and ranges, and refuses anything else', () => {
    expect(parseRows('0, 2,5-7')).toEqual([0, 2, 5, 6, 7]);
    expect(parseRows('a')).toBeNull();
    expect(parseRows('3-1')).toBeNull();
  });
});

describe('rowErrors', () => {
  it('refuses rows past the end of a dataset whose size is known', () => {
    expect(rowErrors('5', 2)).toEqual({ rows: [5], errors: ['Rows: the dataset has 2 rows, numbered 0–1; row 5 is not in it'] });
    expect(rowErrors('0-9', 3).errors).toEqual(['Rows: the dataset has 3 rows, numbered 0–2; rows 3, 4, 5, 6, 7 and 2 more are not in it']);
    expect(rowErrors('1', 1).errors).toEqual(['Rows: the dataset has 1 row, numbered 0; row 1 is not in it']);
    expect(rowErrors('0,1', 2).errors).toEqual([]);
  });

  it('leaves the range to the server when the size is not known (a saved dataset)', () => {
    expect(rowErrors('500', undefined)).toEqual({ rows: [500], errors: [] });
  });

  it('refuses a list with no row in it, which would start a run of 0 cells', () => {
    expect(rowErrors(',', 2).errors).toEqual(['Rows: no row given (leave the field empty for every row)']);
  });
});

describe('parseParameters', () => {
  it('reports every line that is not name=value, by its line number', () => {
    const p = parseParameters('lang=fr\nbad\n\n=x\nn=3\nalso bad');
    expect(p.errors).toEqual([
      'Parameters, line 2: expected name=value, got "bad"',
      'Parameters, line 4: expected name=value, got "=x"',
      'Parameters, line 6: expected name=value, got "also bad"',
    ]);
    expect(p.parameters).toEqual({ lang: 'fr', n: 3 });
  });
});

describe('checkRunForm', () => {
  it('says everything wrong at once: parameters and rows', () => {
    expect(checkRunForm('x\ny', '5', 2)).toEqual({
      errors: ['Parameters, line 1: expected name=value, got "x"', 'Parameters, line 2: expected name=value, got "y"', 'Rows: the dataset has 2 rows, numbered 0–1; row 5 is not in it'],
    });
  });

  it('builds the run body when all is well', () => {
    expect(checkRunForm('flag=true', '1', 2)).toEqual({ body: { parameters: { flag: true }, row_indices: [1] } });
    expect(checkRunForm('', '', 2)).toEqual({ body: {} });
  });
});
