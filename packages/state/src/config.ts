import { z } from 'zod';
import { StateConfigError } from './errors.js';
import { redisConfigShape, type RedisConfig } from './redis-config.js';

/** fail-closed: a store outage answers 503 (the broker retries); fail-open: process without the check. */
export type StoreErrorMode = 'fail-closed' | 'fail-open';

/** Defaults, documented in the README. */
export const DEFAULTS = {
  /** VEBA replays up to 5 min after a restart and the broker retries for minutes: a day is ample. */
  dedupeTtlSeconds: 86_400,
  /** Must exceed the handler timeout (FUNCTION_TIMEOUT_SECONDS, default 60); the guard also extends it to the deadline. */
  dedupeLeaseSeconds: 90,
  /** Marks are small; a week bounds the keys of per-entity scopes (e.g. per VM) that go quiet. */
  orderingTtlSeconds: 604_800,
  onStoreError: 'fail-closed' as StoreErrorMode,
};

const seconds = z.coerce.number().int().positive().optional();
const mode = z.enum(['fail-closed', 'fail-open']).optional();
/** Config keys the dedupe guard declares (merged into the function's config by the runtime). */
export const dedupeConfigShape = {
  ...redisConfigShape,
  DEDUPE_TTL_SECONDS: seconds,
  DEDUPE_LEASE_SECONDS: seconds,
  DEDUPE_ON_STORE_ERROR: mode,
};

/** The ordering guard's store keys (the `REDIS_*` keys, TTL, store-error mode), without `ORDERING_POLICY`. */
export const orderingConfigShape = {
  ...redisConfigShape,
  ORDERING_TTL_SECONDS: seconds,
  ORDERING_ON_STORE_ERROR: mode,
};

/** Reads the guard's keys from the function's config; the runtime has parsed them already, this re-checks. */
export function readConfig<S extends z.ZodRawShape>(
  shape: S,
  config: Record<string, unknown>,
): z.infer<z.ZodObject<S>> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) {
    const value = config[key];
    // An empty env var means "unset", as for the runtime's other optional keys.
    picked[key] = value === '' ? undefined : value;
  }
  const result = z.object(shape).safeParse(picked);
  if (!result.success) {
    const keys = [...new Set(result.error.issues.map((i) => String(i.path[0])))];
    throw new StateConfigError(`invalid state configuration: ${keys.join(', ')}`, {
      cause: result.error,
    });
  }
  return result.data;
}

/**
 * The Redis keys of a function's config (see `redisConfigShape`), re-checked, for
 * `createRedisConnection` or `createStateStore`.
 *
 * @example
 * init: ({ config, logger }) => createRedisConnection(readRedisConfig(config), logger)
 */
export function readRedisConfig(config: Record<string, unknown>): RedisConfig {
  return readConfig(redisConfigShape, config);
}
