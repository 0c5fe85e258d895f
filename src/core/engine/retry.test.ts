import { describe, expect, it } from 'vitest';
import { CallError } from '../model/results.js';
import { decideRetry, describeFailure, type RetryPolicy, WEBHOOK_RETRY, webhookRetryDelay } from './retry.js';

const policy: RetryPolicy = { maxRetries: 3, baseMs: 100, capMs: 1_000, maxRetryAfterMs: 10_000 };
const retryable = (message = 'HTTP 503', retryAfterMs?: number) => new CallError(message, { retryable: true, retryAfterMs, status: 503 });
const fixed = (value: number) => () => value;
/** The largest double below 1, the top of Math.random's range. */
const almostOne = 1 - Number.EPSILON / 2;

describe('decideRetry', () => {
  it('fails at once on an error that is not a CallError, with its first line as the reason', () => {
    const error = new TypeError('cannot read x\n    at stack frame');
    expect(decideRetry(error, 1, policy, fixed(0.5))).toEqual({ kind: 'fail', reason: 'cannot read x' });
    expect(decideRetry('plain string', 1, policy, fixed(0.5))).toEqual({ kind: 'fail', reason: 'plain string' });
  });

  it('fails at once on a non-retryable CallError (e.g. a 400)', () => {
    const error = new CallError('HTTP 400: bad request', { retryable: false, status: 400 });
    expect(decideRetry(error, 1, policy, fixed(0.5))).toEqual({ kind: 'fail', reason: 'HTTP 400: bad request' });
  });

  it('retries a retryable failure up to maxRetries times, then fails', () => {
    const kinds = [1, 2, 3, 4].map((attempt) => decideRetry(retryable(), attempt, policy, fixed(0.5)).kind);
    expect(kinds).toEqual(['retry', 'retry', 'retry', 'fail']);
    expect(decideRetry(retryable(), 1, { ...policy, maxRetries: 0 }, fixed(0.5))).toEqual({ kind: 'fail', reason: 'HTTP 503' });
  });

  it('keeps the reason on a retry decision', () => {
    expect(decideRetry(retryable('HTTP 429: slow down'), 1, policy, fixed(0))).toMatchObject({ kind: 'retry', reason: 'HTTP 429: slow down' });
  });

  it('draws the delay with full jitter: 0 ≤ delay < base·2^(attempt-1)', () => {
    const wide = { ...policy, capMs: 1_000_000, maxRetries: 10 };
    for (const attempt of [1, 2, 3, 4]) {
      const ceiling = 100 * 2 ** (attempt - 1);
      const low = decideRetry(retryable(), attempt, wide, fixed(0));
      const mid = decideRetry(retryable(), attempt, wide, fixed(0.5));
      const high = decideRetry(retryable(), attempt, wide, fixed(almostOne));
      expect(low).toMatchObject({ kind: 'retry', delayMs: 0 });
      expect(mid).toMatchObject({ kind: 'retry', delayMs: ceiling / 2 });
      if (high.kind !== 'retry') throw new Error('expected a retry');
      expect(high.delayMs).toBeLessThan(ceiling);
      expect(high.delayMs).toBeGreaterThan(ceiling * 0.999);
    }
  });

  it('caps the backoff ceiling at capMs', () => {
    const many = { ...policy, maxRetries: 50 };
    for (const attempt of [5, 10, 40]) {
      const d = decideRetry(retryable(), attempt, many, fixed(almostOne));
      if (d.kind !== 'retry') throw new Error('expected a retry');
      expect(d.delayMs).toBeLessThan(1_000);
      expect(d.delayMs).toBeGreaterThan(999);
    }
  });

  it('never retries sooner than Retry-After, even when the jitter is smaller', () => {
    expect(decideRetry(retryable('HTTP 429', 5_000), 1, policy, fixed(0))).toMatchObject({ kind: 'retry', delayMs: 5_000 });
    expect(decideRetry(retryable('HTTP 429', 10), 3, policy, fixed(0.5))).toMatchObject({ kind: 'retry', delayMs: 200 });
    for (const r of [0, 0.3, 0.9]) {
      const d = decideRetry(retryable('HTTP 429', 250), 2, policy, fixed(r));
      if (d.kind !== 'retry') throw new Error('expected a retry');
      expect(d.delayMs).toBeGreaterThanOrEqual(250);
    }
  });

  it('waits exactly maxRetryAfterMs when asked to, but fails beyond it and says why', () => {
    expect(decideRetry(retryable('HTTP 429', 10_000), 1, policy, fixed(0))).toMatchObject({ kind: 'retry', delayMs: 10_000 });
    const d = decideRetry(retryable('HTTP 429', 60_000), 1, policy, fixed(0));
    expect(d.kind).toBe('fail');
    expect(d.reason).toMatch(/^HTTP 429/);
    expect(d.reason).toContain('retry after 60 s');
    expect(d.reason).toContain('longer than Assay waits');
  });
});

describe('describeFailure', () => {
  it('gives one line without stack traces, and something for non-errors', () => {
    expect(describeFailure(new Error('first\nsecond'))).toBe('first');
    expect(describeFailure('text')).toBe('text');
    expect(describeFailure({ weird: true })).toBe('unknown failure');
  });
});

describe('webhookRetryDelay', () => {
  const total = (random: () => number) => {
    let sum = 0;
    for (let attempt = 1; ; attempt++) {
      const delay = webhookRetryDelay(attempt, undefined, random);
      if (delay === null) return { sum, attempts: attempt };
      sum += delay;
    }
  };

  it('doubles from 30 s to a 4 h cap, trimmed by at most 20 %', () => {
    expect(webhookRetryDelay(1, undefined, fixed(0))).toBe(24_000);
    expect(webhookRetryDelay(1, undefined, fixed(0.999999))).toBe(30_000);
    expect(webhookRetryDelay(2, undefined, fixed(0.5))).toBe(54_000);
    // Attempt 10 on: 30 s · 2^9 is past the cap.
    expect(webhookRetryDelay(10, undefined, fixed(0))).toBe(WEBHOOK_RETRY.capMs * 0.8);
    expect(webhookRetryDelay(17, undefined, fixed(0.5))).toBe(WEBHOOK_RETRY.capMs * 0.9);
  });

  it('spreads 18 attempts over at least 24 h whatever the jitter, then gives up', () => {
    for (const r of [0, 0.5, 0.999999]) {
      const { sum, attempts } = total(fixed(r));
      expect(attempts).toBe(WEBHOOK_RETRY.maxAttempts);
      expect(sum).toBeGreaterThanOrEqual(24 * 3600_000);
      expect(sum).toBeLessThanOrEqual(37 * 3600_000);
    }
  });

  it('waits at least what Retry-After asks, up to the cap', () => {
    expect(webhookRetryDelay(1, 600_000, fixed(0))).toBe(600_000);
    expect(webhookRetryDelay(1, 1_000, fixed(0))).toBe(24_000);
    expect(webhookRetryDelay(1, 24 * 3600_000, fixed(0))).toBe(WEBHOOK_RETRY.capMs);
  });
});
