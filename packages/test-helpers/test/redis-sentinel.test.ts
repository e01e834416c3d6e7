import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCommand, redisInfo } from '../src/redis-command.js';
import { startRedisSentinel, type RedisSentinelTopology } from '../src/redis-sentinel.js';

describe('startRedisSentinel', () => {
  let topology: RedisSentinelTopology;
  beforeAll(async () => {
    topology = await startRedisSentinel();
  });
  afterAll(() => topology.stop());

  it('starts a replicated master watched by three sentinels that see its replica', async () => {
    expect(topology.sentinels).toHaveLength(3);
    const master = await topology.master();
    const replication = await redisInfo(master.port, 'replication');
    expect(replication.get('role')).toBe('master');
    expect(replication.get('connected_slaves')).toBe('1');
    for (const s of topology.sentinels) {
      expect(
        await redisCommand(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', topology.masterName]),
      ).toEqual(['127.0.0.1', String(master.port)]);
      // Each sees the replica (a failover needs a replica to promote).
      const replicas = (await redisCommand(s.port, [
        'SENTINEL',
        'REPLICAS',
        topology.masterName,
      ])) as string[][];
      expect(replicas).toHaveLength(1);
      expect(replicas[0]).toContain('slave');
    }
  });

  it('fails over to the replica when the master is killed, keeping replicated data', async () => {
    const key = `${topology.keyPrefix}kept`;
    const before = await topology.master();
    expect(await redisCommand(before.port, ['SET', key, 'v'])).toBe('OK');
    // WAIT: the write has reached the replica before the crash.
    expect(await redisCommand(before.port, ['WAIT', 1, 2000])).toBe(1);
    expect(await topology.killMaster()).toEqual(before);
    await expect(redisCommand(before.port, ['PING'])).rejects.toThrow();
    const after = await topology.waitForFailover(before);
    expect(after.port).not.toBe(before.port);
    expect(await topology.master()).toEqual(after);
    expect(await redisCommand(after.port, ['GET', key])).toBe('v');
    expect(await redisCommand(after.port, ['SET', key, 'w'])).toBe('OK');
  });
});
