import { startRedis, type RedisServer } from '@veba-functions/test-helpers';
import { createMemoryStateStore } from '../src/memory-store.js';
import { createRedisStateStore } from '../src/redis-store.js';
import type { StateStore } from '../src/store.js';
import { captureLogger } from './support.js';

/** How each behaviour suite gets a fresh store of one kind. */
export interface StoreKind {
  name: 'redis' | 'memory';
  setup(): Promise<void>;
  create(): Promise<StateStore>;
  teardown(): Promise<void>;
}

let counter = 0;

export function redisKind(): StoreKind {
  let server: RedisServer | undefined;
  const stores: StateStore[] = [];
  return {
    name: 'redis',
    async setup() {
      server = await startRedis();
    },
    async create() {
      if (!server) throw new Error('setup() first');
      const store = createRedisStateStore({
        url: server.url,
        keyPrefix: `${server.keyPrefix}${++counter}:`,
        logger: captureLogger(),
      });
      await store.start();
      stores.push(store);
      return store;
    },
    async teardown() {
      for (const s of stores) await s.close();
      await server?.stop();
    },
  };
}

export function memoryKind(): StoreKind {
  return {
    name: 'memory',
    setup: () => Promise.resolve(),
    async create() {
      const store = createMemoryStateStore({ logger: captureLogger() });
      await store.start();
      return store;
    },
    teardown: () => Promise.resolve(),
  };
}
