import {
  startRedis,
  startRedisCluster,
  startRedisSentinel,
  type RedisCluster,
  type RedisSentinelTopology,
  type RedisServer,
} from '@veba-functions/test-helpers';
import { createMemoryStateStore } from '../src/memory-store.js';
import type { RedisConfig } from '../src/redis-config.js';
import { createRedisStateStore } from '../src/redis-store.js';
import type { StateStore } from '../src/store.js';
import { captureLogger } from './support.js';

/** How each behaviour suite gets a fresh store of one kind. */
export interface StoreKind {
  name: 'memory' | 'redis' | 'redis-sentinel' | 'redis-cluster';
  setup(): Promise<void>;
  create(): Promise<StateStore>;
  teardown(): Promise<void>;
  /** Redis kinds: how to reach the topology (after `setup`). */
  redisConfig?(): RedisConfig;
}

let counter = 0;

/** A Redis kind: `start` brings up the topology (once per file) and says how to reach it. */
function redisTopologyKind(
  name: StoreKind['name'],
  start: () => Promise<{ config: RedisConfig; keyPrefix: string; stop(): Promise<void> }>,
): StoreKind {
  let topology: Awaited<ReturnType<typeof start>> | undefined;
  const stores: StateStore[] = [];
  return {
    name,
    async setup() {
      topology = await start();
    },
    async create() {
      if (!topology) throw new Error('setup() first');
      const store = createRedisStateStore({
        redis: topology.config,
        keyPrefix: `${topology.keyPrefix}${++counter}:`,
        logger: captureLogger(),
      });
      await store.start();
      stores.push(store);
      return store;
    },
    async teardown() {
      for (const s of stores) await s.close();
      await topology?.stop();
    },
    redisConfig() {
      if (!topology) throw new Error('setup() first');
      return topology.config;
    },
  };
}

/** One redis-server (or the shared one in REDIS_URL). */
export function redisKind(): StoreKind {
  return redisTopologyKind('redis', async () => {
    const server: RedisServer = await startRedis();
    return {
      config: { REDIS_URL: server.url },
      keyPrefix: server.keyPrefix,
      stop: () => server.stop(),
    };
  });
}

/** A master, a replica and three sentinels; the store finds the master through the sentinels. */
export function sentinelKind(): StoreKind & { topology(): RedisSentinelTopology } {
  let started: RedisSentinelTopology | undefined;
  const kind = redisTopologyKind('redis-sentinel', async () => {
    const t: RedisSentinelTopology = await startRedisSentinel();
    started = t;
    return {
      config: { REDIS_SENTINELS: t.sentinelAddresses, REDIS_SENTINEL_MASTER: t.masterName },
      keyPrefix: t.keyPrefix,
      stop: () => t.stop(),
    };
  });
  return {
    ...kind,
    topology() {
      if (!started) throw new Error('setup() first');
      return started;
    },
  };
}

/** A three-master Redis Cluster. */
export function clusterKind(): StoreKind {
  return redisTopologyKind('redis-cluster', async () => {
    const c: RedisCluster = await startRedisCluster();
    return {
      config: { REDIS_CLUSTER_NODES: c.startupNodes },
      keyPrefix: c.keyPrefix,
      stop: () => c.stop(),
    };
  });
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
