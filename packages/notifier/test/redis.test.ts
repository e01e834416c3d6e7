/**
 * Pacing and maintenance marks shared through a real redis-server (startRedis from
 * test-helpers): what one replica takes or marks, another sees.
 */
import { startRedis, type RedisServer } from '@veba-functions/test-helpers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisMaintenanceTracker } from '../src/maintenance.js';
import { createMemoryMaintenanceTracker } from '../src/maintenance.js';
import { createRedisRateLimiter } from '../src/redis-rate-limiter.js';
import { connectNotifierRedis, disconnectNotifierRedis } from '../src/redis-connection.js';

let server: RedisServer;
let a: Redis;
let b: Redis;
beforeAll(async () => {
  server = await startRedis();
  a = new Redis(server.url);
  b = new Redis(server.url);
});
afterAll(async () => {
  a?.disconnect();
  b?.disconnect();
  await server?.stop();
});

let n = 0;
const id = () => `dest${process.pid}x${++n}`;

describe('the Redis token bucket', () => {
  it('two replicas share one bucket: one slot per interval between them', async () => {
    const destinationId = id();
    const options = { destinationId, perSecond: 1, burst: 1, keyPrefix: server.keyPrefix };
    const one = createRedisRateLimiter({ redis: a, ...options });
    const two = createRedisRateLimiter({ redis: b, ...options });
    expect(await one.take()).toBe(0);
    const wait = await two.take();
    expect(wait).toBeGreaterThan(900);
    expect(wait).toBeLessThanOrEqual(1000);
    expect(await one.take()).toBeGreaterThan(0);
    // Its key carries the destination id as a hash tag: one slot on Redis Cluster.
    expect(await a.keys(`${server.keyPrefix}{${destinationId}}:bucket`)).toHaveLength(1);
  });

  it('a burst allowance, then the rate', async () => {
    const limiter = createRedisRateLimiter({
      redis: a,
      destinationId: id(),
      perSecond: 4,
      burst: 3,
      keyPrefix: server.keyPrefix,
    });
    const waits = [];
    for (let i = 0; i < 4; i++) waits.push(await limiter.take());
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    expect(waits[3]).toBeGreaterThan(200);
    expect(waits[3]).toBeLessThanOrEqual(250);
  });

  it("a 429's hold from one replica stops the other, for the Retry-After", async () => {
    const options = { destinationId: id(), perSecond: 100, burst: 5, keyPrefix: server.keyPrefix };
    const one = createRedisRateLimiter({ redis: a, ...options });
    const two = createRedisRateLimiter({ redis: b, ...options });
    await one.holdFor(30_000);
    const wait = await two.take();
    expect(wait).toBeGreaterThan(29_000);
    expect(wait).toBeLessThanOrEqual(30_000);
  });

  it('Redis down: take() rejects (the dispatcher answers 503)', async () => {
    const own = await startRedis({ dedicated: true });
    const client = new Redis(own.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    client.on('error', () => undefined);
    await client.connect();
    const limiter = createRedisRateLimiter({
      redis: client,
      destinationId: id(),
      perSecond: 1,
      burst: 1,
    });
    expect(await limiter.take()).toBe(0);
    await own.pause({ keepData: false });
    await expect(limiter.take()).rejects.toThrow();
    client.disconnect();
    await own.stop();
  });
});

describe.each([
  [
    'redis',
    () => [
      createRedisMaintenanceTracker({ redis: a, ttlMs: 60_000, keyPrefix: server.keyPrefix }),
      createRedisMaintenanceTracker({ redis: b, ttlMs: 60_000, keyPrefix: server.keyPrefix }),
    ],
  ],
  [
    'memory',
    () => {
      const t = createMemoryMaintenanceTracker({ ttlMs: 60_000 });
      return [t, t];
    },
  ],
] as const)('maintenance marks (%s)', (_kind, make) => {
  it('entered marks a host per vCenter, seen by every replica; exit unmarks it', async () => {
    const [one, two] = make();
    const host = `host-${id()}`;
    await one!.record('https://vc-a/sdk', host, true, 10);
    expect(await two!.inMaintenance('https://vc-a/sdk', host)).toBe(true);
    expect(await two!.inMaintenance('https://vc-b/sdk', host)).toBe(false);
    await two!.record('https://vc-a/sdk', host, false, 11);
    expect(await one!.inMaintenance('https://vc-a/sdk', host)).toBe(false);
  });

  it('a late (older) event never undoes a newer one', async () => {
    const [one] = make();
    const host = `host-${id()}`;
    await one!.record('https://vc/sdk', host, false, 20); // exit, delivered first
    await one!.record('https://vc/sdk', host, true, 19); // the older enter arrives late
    expect(await one!.inMaintenance('https://vc/sdk', host)).toBe(false);
  });
});

describe('maintenance marks expire', () => {
  it('a mark without an exit lasts its TTL (Redis)', async () => {
    const tracker = createRedisMaintenanceTracker({
      redis: a,
      ttlMs: 150,
      keyPrefix: server.keyPrefix,
    });
    const host = `host-${id()}`;
    await tracker.record('https://vc/sdk', host, true, 1);
    expect(await tracker.inMaintenance('https://vc/sdk', host)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await tracker.inMaintenance('https://vc/sdk', host)).toBe(false);
  });

  it('a mark without an exit lasts its TTL (memory, injected clock)', async () => {
    let now = 1_000_000;
    const tracker = createMemoryMaintenanceTracker({ ttlMs: 1000, now: () => now });
    await tracker.record('https://vc/sdk', 'host-1', true, 1);
    now += 999;
    expect(await tracker.inMaintenance('https://vc/sdk', 'host-1')).toBe(true);
    now += 2;
    expect(await tracker.inMaintenance('https://vc/sdk', 'host-1')).toBe(false);
  });
});

describe("connectNotifierRedis (the state package's connection factory)", () => {
  it('none without Redis keys; a connected client with REDIS_URL; a clear error when unreachable', async () => {
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    expect(await connectNotifierRedis({}, logger)).toBeUndefined();
    const redis = await connectNotifierRedis({ REDIS_URL: server.url }, logger);
    expect(await redis!.ping()).toBe('PONG');
    await disconnectNotifierRedis(redis);
    await expect(
      connectNotifierRedis({ REDIS_URL: 'redis://127.0.0.1:1' }, logger),
    ).rejects.toThrow(/127\.0\.0\.1:1/);
  });
});
