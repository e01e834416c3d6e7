import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { StateConfigError, StateStoreError, errorText } from './errors.js';
import {
  describeRedisEndpoint,
  resolveRedisEndpoint,
  type RedisConfig,
  type RedisEndpoint,
} from './redis-config.js';
import type { StateLogger } from './store.js';

/** An ioredis client for one server or a Sentinel-managed master (`Redis`), or for a `Cluster`. */
export type RedisConnection = Redis | Cluster;

/** Options of {@link createRedisConnection}. The project's settings (see there) win over these. */
export interface RedisConnectionOptions {
  /** A command that takes longer fails, so an outage cannot hang an event. Default 1000. */
  commandTimeoutMs?: number;
  /** Time allowed per connection attempt, and for {@link openRedisConnection}. Default 5000. */
  connectTimeoutMs?: number;
  /**
   * Extra ioredis options for every node connection, e.g. `tls: { ca }` (with `REDIS_TLS`) or a
   * Sentinel `natMap` / `preferredSlaves`. https://github.com/redis/ioredis#sentinel
   */
  redisOptions?: RedisOptions;
  /**
   * Extra `Cluster` options, e.g. `natMap` when the nodes announce addresses the function cannot
   * reach, `dnsLookup`, `slotsRefreshInterval`. https://github.com/redis/ioredis#cluster
   */
  clusterOptions?: Omit<ClusterOptions, 'redisOptions'>;
  /** What uses the connection, for log lines (e.g. `state store`). Default `redis`. */
  purpose?: string;
}

interface ConnectionState {
  where: string;
  purpose: string;
  connectTimeoutMs: number;
  logger: StateLogger;
  down: boolean;
  closed: boolean;
  downNodes: Set<string>;
  /** The last connection error, which says more than "Connection is closed" (e.g. WRONGPASS). */
  lastError: Error | undefined;
}

const states = new WeakMap<RedisConnection, ConnectionState>();

/** Reconnect for as long as the process runs: 100 ms doubling to 2 s, never giving up. */
const reconnectDelay = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2000);

// A node that became a replica (old master after a failover, or a managed endpoint that moved)
// answers writes with READONLY: reconnecting makes the Sentinel connector ask for the master again.
// https://github.com/redis/ioredis#reconnect-on-error
const reconnectOnReadOnly = (error: Error): boolean => error.message.startsWith('READONLY');

function isEndpoint(config: RedisConfig | RedisEndpoint): config is RedisEndpoint {
  return 'mode' in config;
}

/**
 * Makes the ioredis client for the Redis the config keys describe (see {@link redisConfigShape}):
 * `Redis` for `REDIS_URL` or for Sentinel (`REDIS_SENTINELS` + `REDIS_SENTINEL_MASTER`, always the
 * master), `Cluster` for `REDIS_CLUSTER_NODES`. The project's settings, for every mode:
 *
 * - `commandTimeout` (1 s): a command that hangs fails instead of holding an event;
 * - no offline queue: while disconnected a command fails at once (the caller answers 503) instead
 *   of piling up; `maxRetriesPerRequest: 1` bounds the retries of one command;
 * - reconnect forever with backoff up to 2 s (`retryStrategy`, `clusterRetryStrategy`; sentinels
 *   are re-asked by ioredis's `sentinelRetryStrategy`), and on `READONLY` (single and Sentinel);
 * - Sentinel: `role: 'master'`, `failoverDetector` (reconnect on `+switch-master`); TLS to the
 *   master and the sentinels with `REDIS_TLS`;
 * - Cluster: `scaleReads: 'master'` (a replica may lag behind a claim), no offline queue; with TLS,
 *   node names are not resolved (`dnsLookup`), so certificates match the names the nodes announce;
 * - an `error` listener that logs once per outage (warn) and once when it is over (info). Errors
 *   and logs name the endpoint without credentials.
 *
 * The client is created unconnected: call {@link openRedisConnection} before use, and
 * {@link closeRedisConnection} at the end. Throws `StateConfigError` for conflicting keys or when
 * no Redis is configured.
 *
 * @example
 * const redis = createRedisConnection(readRedisConfig(ctx.config), ctx.logger, { purpose: 'notifier pacing' });
 * await openRedisConnection(redis);
 * await redis.incr('veba:{pacing}:tokens');
 * await closeRedisConnection(redis);
 */
export function createRedisConnection(
  config: RedisConfig | RedisEndpoint,
  logger: StateLogger,
  options: RedisConnectionOptions = {},
): RedisConnection {
  const endpoint = isEndpoint(config) ? config : resolveRedisEndpoint(config);
  if (!endpoint) {
    throw new StateConfigError(
      'no Redis is configured: set REDIS_URL, REDIS_SENTINELS with REDIS_SENTINEL_MASTER, or REDIS_CLUSTER_NODES',
    );
  }
  const commandTimeout = options.commandTimeoutMs ?? 1000;
  const connectTimeout = options.connectTimeoutMs ?? 5000;
  const userTls = options.redisOptions?.tls;
  const tls = endpoint.tls ? { tls: userTls ?? {} } : {};
  const credentials = {
    ...(endpoint.username !== undefined && { username: endpoint.username }),
    ...(endpoint.password !== undefined && { password: endpoint.password }),
  };
  const perNode = {
    commandTimeout,
    connectTimeout,
    enableOfflineQueue: false,
    // One retry covers a reply lost on a dropped connection; claim is idempotent per owner.
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  } satisfies RedisOptions;

  let client: RedisConnection;
  switch (endpoint.mode) {
    case 'single':
      client = new Redis(endpoint.url, {
        ...options.redisOptions,
        ...credentials,
        ...tls,
        ...perNode,
        retryStrategy: reconnectDelay,
        reconnectOnError: reconnectOnReadOnly,
      });
      break;
    case 'sentinel':
      // https://github.com/redis/ioredis#sentinel: `sentinels`, `name`, `role`, `sentinelPassword`,
      // `enableTLSForSentinelMode`; `sentinelTLS` is what the connector passes to each sentinel.
      client = new Redis({
        ...options.redisOptions,
        ...credentials,
        ...tls,
        ...perNode,
        sentinels: endpoint.sentinels.map((s) => ({ host: s.host, port: s.port })),
        name: endpoint.masterName,
        role: 'master',
        ...(endpoint.sentinelUsername !== undefined && {
          sentinelUsername: endpoint.sentinelUsername,
        }),
        ...(endpoint.sentinelPassword !== undefined && {
          sentinelPassword: endpoint.sentinelPassword,
        }),
        ...(endpoint.tls && { enableTLSForSentinelMode: true, sentinelTLS: userTls ?? {} }),
        sentinelCommandTimeout: commandTimeout,
        failoverDetector: true,
        retryStrategy: reconnectDelay,
        reconnectOnError: reconnectOnReadOnly,
      });
      break;
    case 'cluster':
      // https://github.com/redis/ioredis#cluster: `redisOptions` go to every node connection,
      // `enableOfflineQueue` and `scaleReads` are the Cluster's own; the TLS `dnsLookup` is the
      // README's "Special Note: Aws Elasticache Clusters with TLS".
      client = new Cluster(
        endpoint.nodes.map((n) => ({ host: n.host, port: n.port })),
        {
          ...(endpoint.tls && { dnsLookup: (address, callback) => callback(null, address) }),
          ...options.clusterOptions,
          lazyConnect: true,
          enableOfflineQueue: false,
          scaleReads: 'master',
          clusterRetryStrategy: reconnectDelay,
          redisOptions: {
            ...options.redisOptions,
            ...credentials,
            ...tls,
            ...perNode,
          },
        },
      );
      break;
  }

  const state: ConnectionState = {
    where: describeRedisEndpoint(endpoint),
    purpose: options.purpose ?? 'redis',
    connectTimeoutMs: connectTimeout,
    logger,
    down: false,
    closed: false,
    downNodes: new Set(),
    lastError: undefined,
  };
  states.set(client, state);
  watch(client, state);
  return client;
}

/** Logs an outage once and its end once; without an `error` listener ioredis would crash the process. */
function watch(client: RedisConnection, state: ConnectionState): void {
  const fields = () => ({ redis: state.where, purpose: state.purpose });
  client.on('error', (error: Error) => {
    state.lastError = error;
    if (state.down || state.closed) return;
    state.down = true;
    state.logger.warn(
      { ...fields(), err: errorText(error) },
      `${state.purpose}: redis unreachable`,
    );
  });
  client.on('ready', () => {
    if (!state.down) return;
    state.down = false;
    state.logger.info(fields(), `${state.purpose}: redis reachable again`);
  });
  // Sentinel: why the last sentinel could not name a master (e.g. an unknown master name).
  client.on('sentinelError', (error: Error) => {
    state.lastError = error;
  });
  if (client instanceof Cluster) {
    client.on('node error', (error: Error, node: string) => {
      state.lastError = error;
      if (state.closed || state.downNodes.has(node)) return;
      state.downNodes.add(node);
      state.logger.warn(
        { ...fields(), node, err: errorText(error) },
        `${state.purpose}: redis cluster node unreachable`,
      );
    });
    client.on('+node', (redis: Redis) => {
      const node = `${redis.options.host}:${redis.options.port}`;
      if (!state.downNodes.delete(node)) return;
      state.logger.info(
        { ...fields(), node },
        `${state.purpose}: redis cluster node reachable again`,
      );
    });
  }
}

/** Where a connection made by {@link createRedisConnection} points, without credentials. */
export function describeRedisConnection(connection: RedisConnection): string {
  return states.get(connection)?.where ?? 'redis';
}

/**
 * Connects and waits until the client is ready (for Sentinel: the master is found; for Cluster:
 * the slots are known and `CLUSTER INFO` says ok), within `timeoutMs` (default: the connection's
 * `connectTimeoutMs`). On failure the client is disconnected and a `StateStoreError`
 * (`operation: 'connect'`) says where and why, e.g. `WRONGPASS`, never with credentials.
 */
export async function openRedisConnection(
  connection: RedisConnection,
  timeoutMs?: number,
): Promise<void> {
  if (connection.status === 'ready') return;
  const state = states.get(connection);
  const limit = timeoutMs ?? state?.connectTimeoutMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  try {
    // Sentinel and Cluster keep retrying inside connect(): bound the whole wait.
    await Promise.race([
      connection.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready within ${limit} ms`)), limit);
      }),
    ]);
  } catch (error) {
    connection.disconnect();
    const last = state?.lastError;
    const reason =
      last && last !== error ? `${errorText(last)} (${errorText(error)})` : errorText(error);
    throw new StateStoreError('connect', `cannot reach ${state?.where ?? 'redis'}: ${reason}`, {
      cause: last ?? error,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** Quits politely when connected, else drops the connection; stops reconnecting. Idempotent. */
export async function closeRedisConnection(connection: RedisConnection): Promise<void> {
  const state = states.get(connection);
  if (state?.closed) return;
  if (state) state.closed = true;
  if (connection.status === 'ready') await connection.quit().catch(() => undefined);
  // quit() leaves the Sentinel failover detector's subscriptions open (the process would not
  // exit); disconnect() closes them: https://github.com/redis/ioredis/issues/1362
  connection.disconnect();
}
