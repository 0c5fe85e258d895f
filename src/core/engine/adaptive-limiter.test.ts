import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../testing/fake-clock.js';
import { modelLimitKey } from '../model/adapters.js';
import { AdaptiveLimiter, MAX_PAUSE_MS } from './adaptive-limiter.js';

describe('AdaptiveLimiter', () => {
  it('pauses a key for what the provider asked, at most MAX_PAUSE_MS (a day-long Retry-After does not hold every run for a day)', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ max: () => 8, clock });
    const key = modelLimitKey('openai/gpt-4o-mini');
    limiter.throttled(key, 86_400_000);
    expect(limiter.snapshot(key).pausedUntil - clock.now()).toBe(MAX_PAUSE_MS);
    limiter.exhausted(key, 10 * MAX_PAUSE_MS);
    expect(limiter.snapshot(key).pausedUntil - clock.now()).toBe(MAX_PAUSE_MS);
    // A shorter pause asked for is kept as asked.
    const other = modelLimitKey('openai/gpt-4o');
    limiter.throttled(other, 5_000);
    expect(limiter.snapshot(other).pausedUntil - clock.now()).toBe(5_000);
  });

  it("keeps a project's own quota apart from the server's: its 429s halve and pause only its key", () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ max: () => 8, clock });
    const shared = modelLimitKey('openai/gpt-4o-mini');
    const own = modelLimitKey('openai/gpt-4o-mini', 'prj_1');
    expect(own).not.toBe(shared);
    limiter.throttled(own, 60_000);
    expect(limiter.snapshot(own)).toMatchObject({ limit: 4, throttles: 1 });
    expect(limiter.snapshot(shared)).toMatchObject({ limit: 8, throttles: 0, pausedUntil: 0 });
  });
});
