import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../src/client/index.js';
import { RetryLater } from './retry-later.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RetryLater', () => {
  it('tries again after 1 s, 2 s, 4 s … up to 30 s, and from 1 s again after a success', () => {
    const run = vi.fn();
    const later = new RetryLater(run);
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) delays.push(later.schedule(new Error('Failed to fetch'))!.at - Date.now());
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    // Each schedule replaced the one before: one attempt is due.
    vi.advanceTimersByTime(30_000);
    expect(run).toHaveBeenCalledTimes(1);
    later.reset();
    expect(later.schedule(new Error('x'))).toMatchObject({ attempt: 1 });
  });

  it('does not try again after a refusal, but does after a 5xx, a 408 or a 429', () => {
    const later = new RetryLater(() => undefined);
    expect(later.schedule(new ApiError(404, { error: 'not_found' }))).toBeUndefined();
    expect(later.schedule(new ApiError(403, { error: 'forbidden' }))).toBeUndefined();
    for (const status of [503, 408, 429]) expect(later.schedule(new ApiError(status, { error: 'busy' }))).toBeDefined();
    later.cancel();
  });
});
