// Failed-authentication throttling per client address (docs/security.md): a project key or the
// admin token guessed wrong more than ASSAY_AUTH_FAILURES_PER_MINUTE times in a minute from one
// address blocks that address's authenticated requests with 429 and Retry-After; each further
// block within a day lasts twice as long (1 min, 2, 4 … capped at 1 h). Counting and blocking are
// rate-limiter-flexible's (in memory, per server process, like the other per-key limits).
// IPv6 clients are counted per /64, the block one host is usually given, so an attacker cannot
// get a fresh allowance for every address it owns.
import type { Context } from 'hono';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AssayError } from '../core/errors.js';
import { type ClientAddresses, clientAddresses } from './client-address.js';
import { incomingOf } from './node-env.js';

const FIRST_BLOCK_S = 60;
const MAX_BLOCK_S = 3_600;

export class AuthThrottle {
  private readonly failures: RateLimiterMemory;
  /** Blocks per address in the last day: the exponent of the next block's length. */
  private readonly strikes = new RateLimiterMemory({ points: 1_000_000, duration: 86_400 });

  constructor(
    private readonly perMinute: number,
    private readonly addresses: ClientAddresses = clientAddresses([]),
    /** Hears of each block (the server logs it): the address as counted, and the block's length. */
    private readonly onBlock: (address: string, seconds: number) => void = () => {},
  ) {
    this.failures = new RateLimiterMemory({ points: perMinute, duration: 60 });
  }

  /**
   * The request's client as the throttle counts it: the TCP peer, or behind a trusted proxy
   * (ASSAY_TRUSTED_PROXIES) the address it forwarded (http/client-address.ts). Requests made
   * without a socket (app.request() in tests) count as one address, `local`.
   */
  address(c: Context): string {
    return this.addresses.of(incomingOf(c));
  }

  /** Throws 429 while the address is blocked; call before checking credentials. */
  async assertAllowed(address: string): Promise<void> {
    const res = await this.failures.get(address);
    if (res !== null && res.consumedPoints > this.perMinute) throw tooMany(res.msBeforeNext);
  }

  /** Counts a failed attempt; the one over the limit blocks the address and throws 429. */
  async failed(address: string): Promise<void> {
    try {
      await this.failures.consume(address);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const strike = await this.strikes.penalty(address);
      const seconds = Math.min(MAX_BLOCK_S, FIRST_BLOCK_S * 2 ** Math.max(0, strike.consumedPoints - 1));
      await this.failures.block(address, seconds);
      this.onBlock(address, seconds);
      throw tooMany(seconds * 1000);
    }
  }
}

function tooMany(ms: number): AssayError {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new AssayError('rate_limited', `Too many failed authentication attempts from this address; retry in ${seconds} s`, { meta: { retryAfterSeconds: seconds } });
}
