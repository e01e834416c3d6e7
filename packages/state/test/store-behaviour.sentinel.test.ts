import { expect, it } from 'vitest';
import { createRedisStateStore } from '../src/redis-store.js';
import { failoverTest } from './failover.js';
import { describeStoreBehaviour } from './store-behaviour.js';
import { sentinelKind } from './stores.js';
import { captureLogger } from './support.js';

const kind = sentinelKind();

// One topology for the file: the behaviour suite, then (last) the failover that kills its master.
describeStoreBehaviour(kind, () => {
  it('fails start with the reason when the sentinels know no such master', async () => {
    const store = createRedisStateStore({
      redis: { ...kind.redisConfig!(), REDIS_SENTINEL_MASTER: 'no-such-master' },
      connectTimeoutMs: 1000,
      logger: captureLogger(),
    });
    const started = store.start();
    await expect(started).rejects.toThrow(
      /cannot reach sentinel master no-such-master via 127\.0\.0\.1:\d+.*No such master/,
    );
    await store.close();
  });

  failoverTest(() => kind.topology());
});
