import { createMemoryStateStore, type MemoryStateStoreOptions } from './memory-store.js';
import { resolveRedisEndpoint, type RedisConfig } from './redis-config.js';
import { createRedisStateStore, type RedisStateStoreOptions } from './redis-store.js';
import type { StateLogger, StateStore } from './store.js';

export interface CreateStateStoreOptions {
  /** `redis://` or `rediss://` selects one Redis server; shorthand for `redis: { REDIS_URL }`. */
  redisUrl?: string | undefined;
  /**
   * The Redis config keys (see `redisConfigShape`): one server, Sentinel or Cluster, credentials,
   * TLS. With none of `REDIS_URL`, `REDIS_SENTINELS`, `REDIS_CLUSTER_NODES` set: the memory store.
   */
  redis?: RedisConfig | undefined;
  logger: StateLogger;
  /** Redis only: see {@link RedisStateStoreOptions}. */
  keyPrefix?: string;
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  redisOptions?: RedisStateStoreOptions['redisOptions'];
  clusterOptions?: RedisStateStoreOptions['clusterOptions'];
  /** Memory only: see {@link MemoryStateStoreOptions}. */
  maxEntries?: number;
  now?: MemoryStateStoreOptions['now'];
}

/**
 * Picks the store from the Redis keys: Redis (one server, Sentinel or Cluster) when one is
 * configured, memory when none is. Conflicting or incomplete keys, or a URL scheme other than
 * `redis://` / `rediss://`, are a `StateConfigError` naming the keys, never a value (which may hold
 * a password), rather than a silent fallback to per-instance state.
 *
 * @example
 * const store = createStateStore({ redis: config, logger }); // config: the function's parsed keys
 * await store.start();
 */
export function createStateStore(options: CreateStateStoreOptions): StateStore {
  const config: RedisConfig = { ...options.redis };
  if (options.redisUrl !== undefined && config.REDIS_URL === undefined)
    config.REDIS_URL = options.redisUrl;
  const endpoint = resolveRedisEndpoint(config);
  if (!endpoint) {
    return createMemoryStateStore({
      logger: options.logger,
      maxEntries: options.maxEntries,
      now: options.now,
    });
  }
  return createRedisStateStore({
    redis: endpoint,
    logger: options.logger,
    keyPrefix: options.keyPrefix,
    commandTimeoutMs: options.commandTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    redisOptions: options.redisOptions,
    clusterOptions: options.clusterOptions,
  });
}
