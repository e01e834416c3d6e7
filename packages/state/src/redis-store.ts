import { Redis, type RedisOptions } from 'ioredis';
import { StateStoreError } from './errors.js';
import { ADVANCE, CLAIM, COMPLETE, RELEASE } from './redis-scripts.js';
import type { ClaimRequest, ClaimResult, StateLogger, StateStore } from './store.js';

export interface RedisStateStoreOptions {
  /** `redis://` or `rediss://` (TLS) URL; may carry user, password and database. */
  url: string;
  logger: StateLogger;
  /** Put in front of every key. Default `veba:`. */
  keyPrefix?: string;
  /** A command that takes longer fails (-> store error), so an outage cannot hang an event. Default 1000. */
  commandTimeoutMs?: number;
  /** Time allowed for the first connection in `start()`. Default 5000. */
  connectTimeoutMs?: number;
  /** Extra ioredis options (e.g. `tls` CA); the timeout and queue settings above win. */
  redisOptions?: RedisOptions;
}

type ScriptedRedis = Redis & {
  vebaClaim(
    key: string,
    owner: string,
    leaseMs: number,
    ttlMs: number,
    fp: string,
  ): Promise<[string, string, string]>;
  vebaComplete(key: string, owner: string, ttlMs: number): Promise<number>;
  vebaRelease(key: string, owner: string): Promise<number>;
  vebaAdvance(key: string, eventKey: string, ttlMs: number): Promise<string>;
};

/** The URL without credentials, for log lines. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

/**
 * Dedupe records and ordering marks in Redis, shared by every replica. Each state change is one
 * Lua script (atomic); commands time out and are not queued while disconnected, so an outage
 * surfaces as a `StateStoreError` within `commandTimeoutMs`.
 *
 * @example
 * const store = createRedisStateStore({ url: 'redis://redis.vmware-functions:6379', logger });
 * await store.start();
 */
export class RedisStateStore implements StateStore {
  readonly kind = 'redis' as const;
  private readonly redis: ScriptedRedis;
  private readonly logger: StateLogger;
  private readonly prefix: string;
  private readonly where: string;
  private readonly connectTimeoutMs: number;
  private down = false;
  private closed = false;
  /** The last connection error, which says more than "Connection is closed" (e.g. WRONGPASS). */
  private lastError: Error | undefined;

  constructor(options: RedisStateStoreOptions) {
    this.logger = options.logger;
    this.prefix = options.keyPrefix ?? 'veba:';
    this.where = describeRedisUrl(options.url);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    const redis = new Redis(options.url, {
      ...options.redisOptions,
      lazyConnect: true,
      enableOfflineQueue: false,
      // One retry covers a reply lost on a dropped connection; claim is idempotent per owner.
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      connectTimeout: this.connectTimeoutMs,
      // Keep reconnecting for as long as the function runs; events get store errors meanwhile.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    });
    redis.defineCommand('vebaClaim', { numberOfKeys: 1, lua: CLAIM });
    redis.defineCommand('vebaComplete', { numberOfKeys: 1, lua: COMPLETE });
    redis.defineCommand('vebaRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('vebaAdvance', { numberOfKeys: 1, lua: ADVANCE });
    // Without a listener ioredis would crash the process on the first connection error.
    redis.on('error', (error: Error) => {
      this.lastError = error;
      if (this.down || this.closed) return;
      this.down = true;
      this.logger.warn(
        { store: 'redis', redis: this.where, err: error.message },
        'redis state store unreachable',
      );
    });
    redis.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      this.logger.info({ store: 'redis', redis: this.where }, 'redis state store reachable again');
    });
    this.redis = redis as ScriptedRedis;
  }

  async start(): Promise<void> {
    if (this.redis.status === 'ready') return;
    try {
      await this.redis.connect();
      this.logger.info(
        { store: 'redis', redis: this.where },
        'state store is redis: dedupe and ordering are shared',
      );
    } catch (error) {
      this.redis.disconnect();
      const last = this.lastError;
      const reason =
        last && last !== error ? `${last.message} (${message(error)})` : message(error);
      throw new StateStoreError('connect', `cannot reach ${this.where}: ${reason}`, {
        cause: last ?? error,
      });
    }
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

  async complete(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (
      (await this.run('complete', () =>
        this.redis.vebaComplete(this.prefix + key, owner, ttlMs),
      )) === 1
    );
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
    if (this.redis.status === 'ready') {
      await this.redis.quit().catch(() => this.redis.disconnect());
    } else {
      this.redis.disconnect();
    }
  }

  private async run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new StateStoreError(operation, message(error), { cause: error });
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Creates the Redis store (see {@link RedisStateStore}); call `start()` before use. */
export function createRedisStateStore(options: RedisStateStoreOptions): RedisStateStore {
  return new RedisStateStore(options);
}
