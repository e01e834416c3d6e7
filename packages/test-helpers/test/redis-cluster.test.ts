import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCommand } from '../src/redis-command.js';
import { startRedisCluster, type RedisCluster } from '../src/redis-cluster.js';

describe('startRedisCluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(() => cluster.stop());

  it('starts three masters that together serve all 16384 slots', async () => {
    expect(cluster.nodes).toHaveLength(3);
    expect(cluster.startupNodes).toBe(cluster.nodes.map((n) => `127.0.0.1:${n.port}`).join(','));
    const slots = (await redisCommand(cluster.nodes[0]!.port, ['CLUSTER', 'SLOTS'])) as Array<
      [number, number, [string, number, string]]
    >;
    const ranges = slots
      .map(([first, last, [, port]]) => ({ first, last, port }))
      .sort((a, b) => a.first - b.first);
    expect(ranges).toEqual(
      cluster.nodes.map((n) => ({ first: n.slots[0], last: n.slots[1], port: n.port })),
    );
    expect(ranges.at(-1)!.last).toBe(16_383);
    for (const node of cluster.nodes) {
      const info = String(await redisCommand(node.port, ['CLUSTER', 'INFO']));
      expect(info).toContain('cluster_state:ok');
      expect(info).toContain('cluster_slots_assigned:16384');
    }
  });

  it('routes a key to the master owning its slot (others answer MOVED)', async () => {
    const key = `${cluster.keyPrefix}k`;
    const slot = await cluster.keySlot(key);
    const owner = cluster.nodes.find((n) => slot >= n.slots[0] && slot <= n.slots[1])!;
    const other = cluster.nodes.find((n) => n !== owner)!;
    expect(await redisCommand(owner.port, ['SET', key, 'v'])).toBe('OK');
    await expect(redisCommand(other.port, ['GET', key])).rejects.toThrow(
      new RegExp(`MOVED ${slot} 127.0.0.1:${owner.port}`),
    );
  });

  it('hashes only the {tag} of a key, so tagged keys share a slot', async () => {
    const a = await cluster.keySlot('veba:{dedupe:fn}:one');
    const b = await cluster.keySlot('veba:{dedupe:fn}:two');
    expect(a).toBe(b);
    expect(await cluster.keySlot('veba:dedupe:fn:one')).not.toBe(
      await cluster.keySlot('veba:dedupe:fn:two'),
    );
  });

  it('stop() ends every node (last: afterAll stops again, idempotently)', async () => {
    await cluster.stop();
    for (const node of cluster.nodes)
      await expect(redisCommand(node.port, ['PING'])).rejects.toThrow();
  });
});
