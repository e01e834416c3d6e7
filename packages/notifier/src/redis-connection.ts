/**
 * TEMPORARY, to be replaced at merge: the notifier's Redis client comes from `REDIS_URL` here,
 * until `@veba-functions/state` exports `redisConfigShape` and `createRedisConnection(config,
 * logger)` (Sentinel / Cluster support, branch `redis`). The lead switches this one module to that
 * factory; everything else takes an injected `Redis | Cluster`.
 */
import { Redis, type Cluster } from 'ioredis';

/** The logger methods used here (a pino logger fits). */
interface ConnectionLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * Connects to the Redis named by `REDIS_URL`, or returns undefined when it is unset (the notifier
 * then paces and tracks maintenance in memory). Commands time out after a second and are not
 * queued while disconnected, so an outage surfaces as an error the caller answers 503 for.
 *
 * @example
 * const redis = await createNotifierRedis(config, logger); // in init
 */
export async function createNotifierRedis(
  config: { REDIS_URL?: string | undefined },
  logger: ConnectionLogger,
): Promise<Redis | Cluster | undefined> {
  const url = config.REDIS_URL?.trim();
  if (!url) return undefined;
  const where = describe(url);
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  });
  let down = false;
  // Without a listener ioredis would crash the process on the first connection error.
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ redis: where, err: error.message }, 'notifier: redis unreachable');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ redis: where }, 'notifier: redis reachable again');
  });
  await redis.connect();
  return redis;
}

/** `redis://host:port/db` without credentials. */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparsable REDIS_URL)';
  }
}
