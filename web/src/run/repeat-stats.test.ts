import { describe, expect, it } from 'vitest';
import type { EvaluatorSummaryView } from '../api-types.js';
import { repeatFigures } from './repeat-stats.js';

const base: EvaluatorSummaryView = { evaluatorId: 'exact', name: 'Exact', passed: 8, failed: 4, errors: 0, skipped: 0, passRate: 66.7 };

describe('repeatFigures', () => {
  it('words the interval, the standard error and the flaky rows the summary has', () => {
    const e: EvaluatorSummaryView = Object.assign({}, base, {
      avgScore: 0.77,
      stderr: { passRate: 12.345, avgScore: 0.05 },
      ci95: { passRate: [41.2, 92.1] as [number, number], avgScore: [0.612, 0.934] as [number, number] },
      flakyRows: 3,
    });
    expect(repeatFigures(e)).toEqual({ passRateCi: '95% CI 41–92', scoreCi: '95% CI 0.61–0.93', stderr: '±12.3 pts · ±0.05', flakyRows: 3 });
  });

  it('keeps a pass rate interval inside 0–100, and says nothing the summary does not have', () => {
    expect(repeatFigures(Object.assign({}, base, { ci95: { passRate: [-8.4, 104.2] as [number, number] } })).passRateCi).toBe('95% CI 0–100');
    expect(repeatFigures(base)).toEqual({});
    expect(repeatFigures(undefined)).toEqual({});
    expect(repeatFigures(Object.assign({}, base, { flakyRows: 0 })).flakyRows).toBe(0);
  });
});
