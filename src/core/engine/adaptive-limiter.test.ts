import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../testing/fake-clock.js';
import { modelLimitKey } from '../model/adapters.js';
import { AdaptiveLimiter, MAX_PAUSE_MS } from './adaptive-limiter.js';
import { MAX_LIMITER_KEYS } from './limiter.js';

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

  it('keeps at most MAX_LIMITER_KEYS keys at rest: new model names do not grow it without end, and busy, throttled or paused keys are kept', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveLimiter({ max: () => 4, clock });
    const release = await limiter.acquire(modelLimitKey('busy/one'));
    limiter.throttled(modelLimitKey('slow/one'));
    limiter.exhausted(modelLimitKey('paused/one'), 60_000);
    for (let i = 0; limiter.keyList().length < MAX_LIMITER_KEYS; i++) limiter.snapshot(modelLimitKey(`x/model-${i}`));
    limiter.snapshot(modelLimitKey('x/one-more'));
    expect(limiter.keyList().sort()).toEqual([modelLimitKey('busy/one'), modelLimitKey('paused/one'), modelLimitKey('slow/one'), modelLimitKey('x/one-more')].sort());
    expect(limiter.snapshot(modelLimitKey('busy/one')).inUse).toBe(1);
    release();
  });
});
