import { expect, it } from 'vitest';
import {
  closeRedisConnection,
  createRedisConnection,
  hashTagged,
  openRedisConnection,
} from '../src/index.js';
import { describeStoreBehaviour } from './store-behaviour.js';
import { clusterKind } from './stores.js';
import { captureLogger } from './support.js';

const kind = clusterKind();

describeStoreBehaviour(kind, () => {
  it('runs a two-key script when the keys are hashTagged; refuses it (CROSSSLOT) otherwise', async () => {
    const redis = createRedisConnection(kind.redisConfig!(), captureLogger());
    await openRedisConnection(redis);
    try {
      const script = `redis.call('SET', KEYS[1], ARGV[1]) redis.call('SET', KEYS[2], ARGV[1]) return 2`;
      const tagged = [hashTagged('event:42', 'record'), hashTagged('event:42', 'audit')];
      expect(tagged[0]).toBe('{event%3A42}:record');
      expect(await redis.eval(script, 2, ...tagged, 'v')).toBe(2);
      // Without a shared tag the two keys fall in different slots (verified, not assumed).
      const plain = ['veba:event:42:record', 'veba:event:42:audit'];
      const slots = await Promise.all(plain.map((k) => redis.cluster('KEYSLOT', k)));
      expect(slots[0]).not.toBe(slots[1]);
      await expect(redis.eval(script, 2, ...plain, 'v')).rejects.toThrow(/CROSSSLOT/);
    } finally {
      await closeRedisConnection(redis);
    }
  });
});
