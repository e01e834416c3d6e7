import { StateConfigError, StateStoreError, errorText } from './errors.js';
import type { RedisConfig, RedisEndpoint } from './redis-config.js';
import {
  closeRedisConnection,
  createRedisConnection,
  describeRedisConnection,
  openRedisConnection,
  type RedisConnection,
  type RedisConnectionOptions,
} from './redis-connection.js';
import { ADVANCE, CLAIM, COMPLETE, RELEASE } from './redis-scripts.js';
import type {
  ClaimRequest,
  ClaimResult,
  CompleteOutcome,
  StateLogger,
  StateStore,
} from './store.js';

export interface RedisStateStoreOptions extends Omit<RedisConnectionOptions, 'purpose'> {
  /** One server: `redis://` or `rediss://` (TLS) URL; may carry user, password and database. */
  url?: string;
  /**
   * Instead of `url`: the Redis config keys (`REDIS_URL`, `REDIS_SENTINELS` + `REDIS_SENTINEL_MASTER`,
   * `REDIS_CLUSTER_NODES`, credentials, `REDIS_TLS`) or an endpoint from `resolveRedisEndpoint`.
   */
  redis?: RedisConfig | RedisEndpoint;
  logger: StateLogger;
  /** Put in front of every key. Default `veba:`. Keep `{` and `}` out of it (see `hashTagged`). */
  keyPrefix?: string;
}

interface StateScripts {
  vebaClaim(
    key: string,
    owner: string,
    leaseMs: number,
    ttlMs: number,
    fp: string,
  ): Promise<[string, string, string]>;
  vebaComplete(key: string, owner: string, ttlMs: number, fp: string): Promise<[string, string]>;
  vebaRelease(key: string, owner: string): Promise<number>;
  vebaAdvance(key: string, eventKey: string, ttlMs: number): Promise<string>;
}

const OUTCOMES = new Set<string>(['completed', 'recreated', 'taken_over', 'completed_by_other']);

/**
 * Dedupe records and ordering marks in Redis, shared by every replica: one server, a
 * Sentinel-managed master, or a Cluster (the connection comes from `createRedisConnection`). Each
 * state change is one Lua script on one key (atomic, and on a Cluster always on the node owning
 * that key); commands time out and are not queued while disconnected, so an outage surfaces as a
 * `StateStoreError` within `commandTimeoutMs`.
 *
 * @example
 * const store = createRedisStateStore({ url: 'redis://redis.vmware-functions:6379', logger });
 * const ha = createRedisStateStore({ redis: { REDIS_SENTINELS: 's-0:26379,s-1:26379', REDIS_SENTINEL_MASTER: 'mymaster' }, logger });
 * await store.start();
 */
export class RedisStateStore implements StateStore {
  readonly kind = 'redis' as const;
  private readonly redis: RedisConnection & StateScripts;
  private readonly logger: StateLogger;
  private readonly prefix: string;
  private closed = false;

  constructor(options: RedisStateStoreOptions) {
    this.logger = options.logger;
    this.prefix = options.keyPrefix ?? 'veba:';
    if (options.url !== undefined && options.redis !== undefined)
      throw new StateConfigError('give the Redis store either url or redis, not both');
    const config = options.redis ?? { REDIS_URL: options.url };
    const redis = createRedisConnection(config, options.logger, {
      commandTimeoutMs: options.commandTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      redisOptions: options.redisOptions,
      clusterOptions: options.clusterOptions,
      purpose: 'redis state store',
    });
    redis.defineCommand('vebaClaim', { numberOfKeys: 1, lua: CLAIM });
    redis.defineCommand('vebaComplete', { numberOfKeys: 1, lua: COMPLETE });
    redis.defineCommand('vebaRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('vebaAdvance', { numberOfKeys: 1, lua: ADVANCE });
    this.redis = redis as RedisConnection & StateScripts;
  }

  /** Where the store points, without credentials. */
  get where(): string {
    return describeRedisConnection(this.redis);
  }

  async start(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await openRedisConnection(this.redis);
    this.logger.info(
      { store: 'redis', redis: this.where },
      'state store is redis: dedupe and ordering are shared',
    );
  }

  async claim(key: string, request: ClaimRequest): Promise<ClaimResult> {
    const [status, text, n] = await this.run('claim', () =>
      this.redis.vebaClaim(
        this.prefix + key,
        request.owner,
        request.leaseMs,
        request.ttlMs,
        request.fingerprint,
      ),
    );
    if (status === 'completed') return { status, fingerprint: text };
    if (status === 'in_progress') return { status, fingerprint: text, retryAfterMs: Number(n) };
    if (status === 'claimed') {
      return n === '1'
        ? { status, takeover: true, previousOwner: text }
        : { status, takeover: false };
    }
    throw new StateStoreError('claim', `unexpected script reply ${JSON.stringify(status)}`);
  }

  async complete(
    key: string,
    owner: string,
    ttlMs: number,
    fingerprint = '',
  ): Promise<CompleteOutcome> {
    const [outcome] = await this.run('complete', () =>
      this.redis.vebaComplete(this.prefix + key, owner, ttlMs, fingerprint),
    );
    if (OUTCOMES.has(outcome)) return outcome as CompleteOutcome;
    throw new StateStoreError('complete', `unexpected script reply ${JSON.stringify(outcome)}`);
  }

  async release(key: string, owner: string): Promise<boolean> {
    return (
      (await this.run('release', () => this.redis.vebaRelease(this.prefix + key, owner))) === 1
    );
  }

  async getMark(scopeKey: string): Promise<number | undefined> {
    const raw = await this.run('check', () => this.redis.get(this.prefix + scopeKey));
    if (raw === null) return undefined;
    const value = Number(raw);
    return Number.isSafeInteger(value) ? value : undefined;
  }

  async advanceMark(scopeKey: string, eventKey: number, ttlMs: number): Promise<number> {
    const raw = await this.run('advance', () =>
      this.redis.vebaAdvance(this.prefix + scopeKey, String(eventKey), ttlMs),
    );
    return Number(raw);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeRedisConnection(this.redis);
  }

  private async run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new StateStoreError(operation, errorText(error), { cause: error });
    }
  }
}

/** Creates the Redis store (see {@link RedisStateStore}); call `start()` before use. */
export function createRedisStateStore(options: RedisStateStoreOptions): RedisStateStore {
  return new RedisStateStore(options);
}
