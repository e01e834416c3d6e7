import { StateConfigError } from './errors.js';
import { createMemoryStateStore, type MemoryStateStoreOptions } from './memory-store.js';
import { createRedisStateStore, type RedisStateStoreOptions } from './redis-store.js';
import type { StateLogger, StateStore } from './store.js';

export interface CreateStateStoreOptions {
  /** `redis://` or `rediss://` selects Redis; unset or empty selects the in-memory store. */
  redisUrl?: string | undefined;
  logger: StateLogger;
  /** Redis only: see {@link RedisStateStoreOptions}. */
  keyPrefix?: string;
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  redisOptions?: RedisStateStoreOptions['redisOptions'];
  /** Memory only: see {@link MemoryStateStoreOptions}. */
  maxEntries?: number;
  now?: MemoryStateStoreOptions['now'];
}

/**
 * Picks the store from `redisUrl`: Redis for `redis://` and `rediss://` (TLS), memory when unset.
 * Any other scheme is a `StateConfigError` (the message names REDIS_URL, never its value, which may
 * hold a password) rather than a silent fallback to per-instance state.
 *
 * @example
 * const store = createStateStore({ redisUrl: config.REDIS_URL, logger });
 * await store.start();
 */
export function createStateStore(options: CreateStateStoreOptions): StateStore {
  const url = options.redisUrl?.trim();
  if (!url) {
    return createMemoryStateStore({
      logger: options.logger,
      maxEntries: options.maxEntries,
      now: options.now,
    });
  }
  if (!/^rediss?:\/\//i.test(url)) {
    throw new StateConfigError(
      'REDIS_URL must start with redis:// or rediss:// (or be unset for the in-memory store)',
    );
  }
  return createRedisStateStore({
    url,
    logger: options.logger,
    keyPrefix: options.keyPrefix,
    commandTimeoutMs: options.commandTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    redisOptions: options.redisOptions,
  });
}
