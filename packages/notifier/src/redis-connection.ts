import {
  closeRedisConnection,
  createRedisConnection,
  openRedisConnection,
  resolveRedisEndpoint,
  type RedisConfig,
  type RedisConnection,
  type StateLogger,
} from '@veba-functions/state';

/**
 * The notifier's Redis (pacing buckets, maintenance marks): the same keys and the same connection
 * settings as the dedupe guard's store (`REDIS_URL`, or Sentinel, or Cluster: see the state
 * package), through the state package's one connection factory. `undefined` when no Redis is
 * configured: the notifier then paces and tracks maintenance in memory, per instance. A Redis that
 * is configured but unreachable fails init (`StateStoreError`), as the dedupe guard does.
 *
 * @example
 * const redis = await connectNotifierRedis(config, logger); // in init
 * // shutdown: await disconnectNotifierRedis(redis);
 */
export async function connectNotifierRedis(
  config: RedisConfig,
  logger: StateLogger,
): Promise<RedisConnection | undefined> {
  const endpoint = resolveRedisEndpoint(config);
  if (endpoint === undefined) return undefined;
  const connection = createRedisConnection(endpoint, logger, { purpose: 'notifier' });
  await openRedisConnection(connection);
  return connection;
}

/** Closes a connection from {@link connectNotifierRedis}; nothing when there is none. */
export async function disconnectNotifierRedis(
  connection: RedisConnection | undefined,
): Promise<void> {
  if (connection !== undefined) await closeRedisConnection(connection);
}
