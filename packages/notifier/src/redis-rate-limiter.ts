/**
 * The token bucket of one destination in Redis, shared by every replica: one Lua script (atomic),
 * on Redis' own clock (`TIME`), so replicas with skewed clocks still agree. The bucket is one hash
 * whose key carries the destination id as a `{hash tag}`: on Redis Cluster every key of one
 * destination lives in one slot.
 */
import type { Cluster, Redis } from 'ioredis';
import type { RateLimit, RateLimiter } from './rate-limiter.js';

// KEYS[1] bucket hash (tokens, ts, hold)
// ARGV: mode ('take' | 'hold'), tokens per ms, burst, ttl ms, hold ms
// take -> 0 when a token was taken, else ms until one may be; hold -> 0
const BUCKET = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'hold')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
local hold = tonumber(b[3]) or 0
if ARGV[1] == 'hold' then
  local untilMs = now + tonumber(ARGV[5])
  if untilMs > hold then redis.call('HSET', KEYS[1], 'hold', untilMs) end
  redis.call('PEXPIRE', KEYS[1], math.max(ttl, tonumber(ARGV[5]) + ttl))
  return 0
end
if now < hold then return hold - now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) / rate))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.max(ttl, hold - now + ttl))
return wait
`;

type BucketRedis = (Redis | Cluster) & {
  vebaNotifierBucket(
    key: string,
    mode: string,
    perMs: number,
    burst: number,
    ttlMs: number,
    holdMs: number,
  ): Promise<number>;
};

/** Options of {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions extends RateLimit {
  /** An ioredis client (`Redis` or `Cluster`), owned by the caller. */
  redis: Redis | Cluster;
  /** The destination's id (`Destination.id`): never the URL itself, which is a secret. */
  destinationId: string;
  /** Key prefix. Default `veba:notifier:`. */
  keyPrefix?: string;
}

/**
 * A token bucket shared through Redis. Errors (Redis down, command timeout) reject `take` and
 * `holdFor`: the caller answers 503 so the broker retries.
 *
 * @example
 * const limiter = createRedisRateLimiter({ redis, destinationId: destination.id, perSecond: 1, burst: 1 });
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const redis = options.redis as BucketRedis;
  if (typeof (redis as Partial<BucketRedis>).vebaNotifierBucket !== 'function') {
    redis.defineCommand('vebaNotifierBucket', { numberOfKeys: 1, lua: BUCKET });
  }
  const key = `${options.keyPrefix ?? 'veba:notifier:'}{${options.destinationId}}:bucket`;
  const perMs = options.perSecond / 1000;
  // Long enough for a full refill: an idle destination's bucket expires rather than lingering.
  const ttlMs = Math.ceil((options.burst / options.perSecond) * 1000) + 60_000;
  return {
    kind: 'redis',
    async take() {
      return Number(await redis.vebaNotifierBucket(key, 'take', perMs, options.burst, ttlMs, 0));
    },
    async holdFor(ms) {
      await redis.vebaNotifierBucket(key, 'hold', perMs, options.burst, ttlMs, Math.ceil(ms));
    },
  };
}
