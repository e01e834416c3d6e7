import { createStateStore, type CreateStateStoreOptions } from './create-store.js';
import type { RedisConfig } from './redis-config.js';
import type { StateLogger, StateStore } from './store.js';

/** Store options a guard passes through (everything but the Redis keys and logger, which come from config). */
export type StoreOptions = Omit<CreateStateStoreOptions, 'redisUrl' | 'redis' | 'logger'>;

/**
 * One store shared by the guards of one function: the first `acquire` creates and starts it (from
 * the Redis keys: `REDIS_URL`, `REDIS_SENTINELS`, `REDIS_CLUSTER_NODES`, ...), the last `release`
 * closes it. An injected store is started but never closed here: whoever created it owns it.
 * What `createDedupeGuard` and `createOrderingGuard` take, so their guards share one store.
 */
export class StoreHolder {
  private store: StateStore | undefined;
  private starting: Promise<StateStore> | undefined;
  private users = 0;

  constructor(
    private readonly injected?: StateStore,
    private readonly options: StoreOptions = {},
  ) {}

  /** `redis`: the guard's config (the Redis keys are picked from it). */
  async acquire(redis: RedisConfig, logger: StateLogger): Promise<StateStore> {
    this.users += 1;
    try {
      this.starting ??= this.open(redis, logger);
      return await this.starting;
    } catch (error) {
      this.users -= 1;
      this.starting = undefined;
      throw error;
    }
  }

  async release(): Promise<void> {
    if (this.users === 0) return;
    this.users -= 1;
    if (this.users > 0) return;
    const store = this.store;
    this.store = undefined;
    this.starting = undefined;
    if (store && store !== this.injected) await store.close();
  }

  private async open(redis: RedisConfig, logger: StateLogger): Promise<StateStore> {
    const store = this.injected ?? createStateStore({ ...this.options, redis, logger });
    try {
      await store.start();
    } catch (error) {
      if (store !== this.injected) await store.close();
      throw error;
    }
    this.store = store;
    return store;
  }
}
