import { booleanFromEnv, secretString } from '@veba-functions/runtime';
import { z } from 'zod';
import { StateConfigError } from './errors.js';

/**
 * The Redis config keys, shared by the guards and by anything else that talks to the same Redis
 * (e.g. a notifier's pacing bucket). A function declares them by using a guard, or by spreading
 * this shape into its own `config`; they are then read from the environment or from the JSON
 * secret variables the function declares, like any other key. Credentials are `secretString()`,
 * so the runtime scrubs their values from every log line.
 */
export const redisConfigShape = {
  /** One server: `redis://[user:password@]host:port[/db]` or `rediss://...` (TLS). */
  REDIS_URL: secretString().optional(),
  /** Sentinel: `host:port,host:port` (port defaults to 26379). */
  REDIS_SENTINELS: z.string().optional(),
  /** Sentinel: the master name the sentinels monitor (`sentinel monitor <name> ...`). */
  REDIS_SENTINEL_MASTER: z.string().optional(),
  /** Cluster: some of its nodes, `host:port,host:port` (port defaults to 6379). */
  REDIS_CLUSTER_NODES: z.string().optional(),
  /** ACL user of the data nodes (Redis 6+). */
  REDIS_USERNAME: secretString().optional(),
  /** Password of the data nodes (`requirepass` or the ACL user's). */
  REDIS_PASSWORD: secretString().optional(),
  /** Sentinel only: the sentinels' own credentials, when they have any (`requirepass` on sentinels). */
  REDIS_SENTINEL_USERNAME: secretString().optional(),
  REDIS_SENTINEL_PASSWORD: secretString().optional(),
  /** TLS to every node (and every sentinel). A `rediss://` URL implies it. */
  REDIS_TLS: booleanFromEnv().optional(),
};

/** The values of {@link redisConfigShape}, as the runtime hands them to a guard or `init`. */
export interface RedisConfig {
  REDIS_URL?: string | undefined;
  REDIS_SENTINELS?: string | undefined;
  REDIS_SENTINEL_MASTER?: string | undefined;
  REDIS_CLUSTER_NODES?: string | undefined;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
  REDIS_SENTINEL_USERNAME?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  REDIS_TLS?: boolean | undefined;
}

export interface RedisHostPort {
  host: string;
  port: number;
}

interface EndpointCommon {
  username?: string | undefined;
  password?: string | undefined;
  /** TLS to every node (and sentinel). */
  tls: boolean;
}

/** Where Redis is, checked and normalised: one server, a Sentinel-managed master, or a Cluster. */
export type RedisEndpoint =
  | ({ mode: 'single'; url: string } & EndpointCommon)
  | ({
      mode: 'sentinel';
      sentinels: RedisHostPort[];
      masterName: string;
      sentinelUsername?: string | undefined;
      sentinelPassword?: string | undefined;
    } & EndpointCommon)
  | ({ mode: 'cluster'; nodes: RedisHostPort[] } & EndpointCommon);

const SENTINEL_PORT = 26_379;
const REDIS_PORT = 6_379;

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * `host:port,host:port` (`[v6addr]:port` for IPv6; a bare host takes `defaultPort`). Errors name
 * the key and the entry's position, never its text.
 */
export function parseHostList(key: string, text: string, defaultPort: number): RedisHostPort[] {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (entries.length === 0) throw new StateConfigError(`${key} lists no host:port`);
  return entries.map((entry, i) => {
    const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+))(?::(\d+))?$/.exec(entry);
    const host = match?.[1] ?? match?.[2];
    const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
    if (!host || !Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new StateConfigError(
        `${key}: entry ${i + 1} is not host:port (expected e.g. redis-0.redis:${defaultPort})`,
      );
    }
    return { host, port };
  });
}

function singleEndpoint(url: string, config: RedisConfig): RedisEndpoint {
  if (!/^rediss?:\/\//i.test(url)) {
    throw new StateConfigError(
      'REDIS_URL must start with redis:// or rediss:// (or be unset for the in-memory store)',
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new StateConfigError('REDIS_URL is not a valid URL', { cause });
  }
  const urlTls = parsed.protocol.toLowerCase() === 'rediss:';
  if (config.REDIS_PASSWORD !== undefined && parsed.password) {
    throw new StateConfigError(
      'REDIS_PASSWORD and a password inside REDIS_URL are both set: keep one',
    );
  }
  if (config.REDIS_USERNAME !== undefined && parsed.username) {
    throw new StateConfigError(
      'REDIS_USERNAME and a user name inside REDIS_URL are both set: keep one',
    );
  }
  if (config.REDIS_TLS === false && urlTls) {
    throw new StateConfigError('REDIS_TLS is false but REDIS_URL uses rediss:// (TLS): keep one');
  }
  return {
    mode: 'single',
    url,
    username: config.REDIS_USERNAME,
    password: config.REDIS_PASSWORD,
    tls: urlTls || config.REDIS_TLS === true,
  };
}

/**
 * Checks the Redis keys and says where Redis is, or `undefined` when none is configured (the
 * in-memory store). Conflicting or incomplete settings are a `StateConfigError` whose message
 * names the keys involved and never a value.
 *
 * @example
 * const endpoint = resolveRedisEndpoint({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_MASTER: 'mymaster' });
 */
export function resolveRedisEndpoint(config: RedisConfig): RedisEndpoint | undefined {
  const url = present(config.REDIS_URL);
  const sentinels = present(config.REDIS_SENTINELS);
  const master = present(config.REDIS_SENTINEL_MASTER);
  const cluster = present(config.REDIS_CLUSTER_NODES);
  const chosen = [
    url && 'REDIS_URL',
    sentinels && 'REDIS_SENTINELS',
    cluster && 'REDIS_CLUSTER_NODES',
  ].filter((k): k is string => Boolean(k));
  if (chosen.length > 1) {
    throw new StateConfigError(
      `${chosen.join(' and ')} are set together: choose one server (REDIS_URL), Sentinel (REDIS_SENTINELS with REDIS_SENTINEL_MASTER) or Cluster (REDIS_CLUSTER_NODES)`,
    );
  }
  if (master && !sentinels)
    throw new StateConfigError('REDIS_SENTINEL_MASTER is set without REDIS_SENTINELS');
  if (sentinels && !master) {
    throw new StateConfigError(
      'REDIS_SENTINELS is set without REDIS_SENTINEL_MASTER (the master name the sentinels monitor)',
    );
  }
  const sentinelCredentials = (
    ['REDIS_SENTINEL_USERNAME', 'REDIS_SENTINEL_PASSWORD'] as const
  ).filter((k) => config[k] !== undefined);
  if (sentinelCredentials.length > 0 && !sentinels)
    throw new StateConfigError(`${sentinelCredentials.join(' and ')} set without REDIS_SENTINELS`);

  if (chosen.length === 0) {
    // Credentials without a server are a mistake, not a request for the in-memory store.
    // REDIS_TLS=false alone is harmless (a chart may set it for everyone).
    const stray: string[] = (['REDIS_USERNAME', 'REDIS_PASSWORD'] as const).filter(
      (k) => config[k] !== undefined,
    );
    if (config.REDIS_TLS === true) stray.push('REDIS_TLS');
    if (stray.length > 0) {
      throw new StateConfigError(
        `${stray.join(' and ')} set, but no Redis is: set REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES (or unset them for the in-memory store)`,
      );
    }
    return undefined;
  }

  const common = {
    username: config.REDIS_USERNAME,
    password: config.REDIS_PASSWORD,
    tls: config.REDIS_TLS === true,
  };
  if (url) return singleEndpoint(url, config);
  if (sentinels) {
    return {
      mode: 'sentinel',
      sentinels: parseHostList('REDIS_SENTINELS', sentinels, SENTINEL_PORT),
      masterName: master!,
      sentinelUsername: config.REDIS_SENTINEL_USERNAME,
      sentinelPassword: config.REDIS_SENTINEL_PASSWORD,
      ...common,
    };
  }
  return {
    mode: 'cluster',
    nodes: parseHostList('REDIS_CLUSTER_NODES', cluster!, REDIS_PORT),
    ...common,
  };
}

/** The URL without credentials, for log lines. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

/** Where an endpoint points, without credentials, for log lines and errors. */
export function describeRedisEndpoint(endpoint: RedisEndpoint): string {
  const list = (hosts: RedisHostPort[]) =>
    hosts
      .map((h) => (h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`))
      .join(',');
  const tls = endpoint.tls ? ' (TLS)' : '';
  switch (endpoint.mode) {
    case 'single':
      return (
        describeRedisUrl(endpoint.url) +
        (endpoint.tls && !/^rediss:/i.test(endpoint.url) ? tls : '')
      );
    case 'sentinel':
      return `sentinel master ${endpoint.masterName} via ${list(endpoint.sentinels)}${tls}`;
    case 'cluster':
      return `cluster ${list(endpoint.nodes)}${tls}`;
  }
}
