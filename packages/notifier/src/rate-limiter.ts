/**
 * Pacing per destination: a token bucket of `burst` tokens refilled at `perSecond`, plus a hold
 * (a 429's `Retry-After`) before which no send starts. In memory it paces one instance; the Redis
 * bucket (redis-rate-limiter.ts) paces every replica sharing a destination.
 */

/** A target's documented rate for one destination. */
export interface RateLimit {
  /** Sends per second, sustained. */
  perSecond: number;
  /** Sends that may start at once after a quiet period. */
  burst: number;
}

/** Hands out send slots for one destination. */
export interface RateLimiter {
  readonly kind: 'memory' | 'redis';
  /**
   * Takes a send slot if one is free now (resolves 0), or tells how many milliseconds until one
   * may be (resolves > 0, no slot taken).
   */
  take(): Promise<number>;
  /** No slot is handed out for `ms` from now (Slack, Teams or Google answered 429 + Retry-After). */
  holdFor(ms: number): Promise<void>;
}

/** Options of {@link createMemoryRateLimiter}. */
export interface MemoryRateLimiterOptions extends RateLimit {
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/**
 * An in-process token bucket.
 *
 * @example
 * const limiter = createMemoryRateLimiter({ perSecond: 1, burst: 1 });
 * const waitMs = await limiter.take(); // 0: send now
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions): RateLimiter {
  const now = options.now ?? Date.now;
  const perMs = options.perSecond / 1000;
  let tokens = options.burst;
  let updated = now();
  let holdUntil = 0;
  return {
    kind: 'memory',
    take() {
      const t = now();
      if (t < holdUntil) return Promise.resolve(holdUntil - t);
      tokens = Math.min(options.burst, tokens + (t - updated) * perMs);
      updated = t;
      if (tokens >= 1) {
        tokens -= 1;
        return Promise.resolve(0);
      }
      return Promise.resolve(Math.max(1, Math.ceil((1 - tokens) / perMs)));
    },
    holdFor(ms) {
      holdUntil = Math.max(holdUntil, now() + ms);
      return Promise.resolve();
    },
  };
}
