import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after.js';

const now = Date.parse('2025-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter({ retryAfter: '2' }, now)).toBe(2000);
    expect(parseRetryAfter({ retryAfter: ' 0 ' }, now)).toBe(0);
    expect(parseRetryAfter({ retryAfter: '1.5' }, now)).toBe(1500);
  });

  it('reads an HTTP date relative to now, a past date meaning now', () => {
    expect(parseRetryAfter({ retryAfter: 'Wed, 01 Jan 2025 00:00:05 GMT' }, now)).toBe(5000);
    expect(parseRetryAfter({ retryAfter: 'Tue, 31 Dec 2024 23:59:00 GMT' }, now)).toBe(0);
    expect(parseRetryAfter({ retryAfter: 'Wednesday, 01-Jan-25 00:00:10 GMT' }, now)).toBe(10_000);
  });

  it('prefers retry-after-ms when it is valid', () => {
    expect(parseRetryAfter({ retryAfterMs: '250', retryAfter: '3' }, now)).toBe(250);
    expect(parseRetryAfter({ retryAfterMs: '12.2' }, now)).toBe(13);
    expect(parseRetryAfter({ retryAfterMs: 'soon', retryAfter: '3' }, now)).toBe(3000);
  });

  it('ignores garbage, negatives, absurd delays and missing headers', () => {
    for (const retryAfter of ['soon', '-1', '', '1e3', '0x10', '12 apples', 'Mon', '99999999999']) {
      expect(parseRetryAfter({ retryAfter }, now), retryAfter).toBeUndefined();
    }
    expect(parseRetryAfter({ retryAfterMs: '-5' }, now)).toBeUndefined();
    expect(parseRetryAfter({}, now)).toBeUndefined();
    expect(parseRetryAfter({ retryAfter: null, retryAfterMs: null }, now)).toBeUndefined();
  });
});
