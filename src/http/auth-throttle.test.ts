// The failed-authentication throttle on its own, with fake timers driving rate-limiter-flexible's
// clock: the limit, the 429 with Retry-After, blocks that double, and addresses counted apart
// (IPv6 per /64).
import type { Context } from 'hono';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isAssayError } from '../core/errors.js';
import { AuthThrottle } from './auth-throttle.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

async function retryAfterOf(attempt: Promise<void>): Promise<number | 'allowed'> {
  try {
    await attempt;
    return 'allowed';
  } catch (error) {
    if (!isAssayError(error) || error.code !== 'rate_limited') throw error;
    return error.meta.retryAfterSeconds as number;
  }
}

describe('AuthThrottle', () => {
  it('refuses the attempt over the limit with 429, blocks the address, and doubles the next block', async () => {
    const throttle = new AuthThrottle(3);
    for (let i = 0; i < 3; i++) expect(await retryAfterOf(throttle.failed('10.0.0.1'))).toBe('allowed');
    expect(await retryAfterOf(throttle.failed('10.0.0.1'))).toBe(60);
    // Blocked: even a request with good credentials is refused before they are checked.
    expect(await retryAfterOf(throttle.assertAllowed('10.0.0.1'))).toBe(60);
    vi.advanceTimersByTime(30_000);
    expect(await retryAfterOf(throttle.assertAllowed('10.0.0.1'))).toBe(30);
    // Another address is unaffected.
    expect(await retryAfterOf(throttle.assertAllowed('10.0.0.2'))).toBe('allowed');

    vi.advanceTimersByTime(31_000);
    expect(await retryAfterOf(throttle.assertAllowed('10.0.0.1'))).toBe('allowed');
    for (let i = 0; i < 3; i++) await throttle.failed('10.0.0.1');
    expect(await retryAfterOf(throttle.failed('10.0.0.1'))).toBe(120);
  });

  it('counts an IPv6 /64 as one address and unmaps IPv4-mapped addresses', () => {
    const clientAddress = (c: Context) => new AuthThrottle(1).address(c);
    const ctx = (remoteAddress: string) => ({ env: { incoming: { socket: { remoteAddress } } } }) as unknown as Context;
    expect(clientAddress(ctx('2001:db8:1:2:aaaa::1'))).toBe(clientAddress(ctx('2001:db8:1:2:bbbb::9')));
    expect(clientAddress(ctx('2001:db8:1:2:aaaa::1'))).not.toBe(clientAddress(ctx('2001:db8:1:3::1')));
    expect(clientAddress(ctx('::ffff:192.0.2.7'))).toBe('192.0.2.7');
    expect(clientAddress({ env: undefined } as unknown as Context)).toBe('local');
  });
});
