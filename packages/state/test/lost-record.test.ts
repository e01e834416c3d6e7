import type { GuardVerdict } from '@veba-functions/runtime';
import { startRedis, type RedisServer } from '@veba-functions/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateGuards } from '../src/index.js';
import { createMemoryStateStore } from '../src/memory-store.js';
import { createRedisStateStore } from '../src/redis-store.js';
import type { StateStore } from '../src/store.js';
import {
  captureLogger,
  counterValue,
  enter,
  sleep,
  startContext,
  vsphereEvent,
} from './support.js';

// Project issue 9: after a Redis restart without its data, the completions of events claimed
// before it were refused ("taken over after its lease expired") and every redelivery ran the side
// effect again (about 110 duplicate Slack messages in a 200-event run).

interface LossKind {
  name: string;
  setup(): Promise<void>;
  store(): StateStore;
  /** Loses every record, then returns once the store answers again. */
  loseData(): Promise<void>;
  teardown(): Promise<void>;
}

function redisLoss(): LossKind {
  let server: RedisServer;
  let store: StateStore;
  return {
    name: 'redis restarted without its data',
    async setup() {
      server = await startRedis({ dedicated: true });
      store = createRedisStateStore({
        url: server.url,
        keyPrefix: server.keyPrefix,
        logger: captureLogger(),
      });
    },
    store: () => store,
    async loseData() {
      await server.pause({ keepData: false });
      await server.restart();
      // The client reconnects with backoff (up to 2 s): wait until it answers.
      for (let i = 0; i < 100; i++) {
        try {
          await store.getMark('probe');
          return;
        } catch {
          await sleep(50);
        }
      }
      throw new Error('the store did not reconnect');
    },
    async teardown() {
      await store.close();
      await server.stop();
    },
  };
}

function memoryLoss(): LossKind {
  const store = createMemoryStateStore({ logger: captureLogger() });
  return {
    name: 'memory store emptied (a restart of its process)',
    setup: () => Promise.resolve(),
    store: () => store,
    // close() drops every entry and leaves the store usable.
    loseData: () => store.close(),
    teardown: () => Promise.resolve(),
  };
}

describe.each([memoryLoss(), redisLoss()])('claim record lost before completion: $name', (kind) => {
  beforeAll(() => kind.setup());
  afterAll(() => kind.teardown());

  it('records the completion anyway, with an accurate warning: the redelivery is a duplicate', async () => {
    const guards = createStateGuards({ dedupe: true, store: kind.store() });
    const ctx = startContext({});
    for (const g of guards) await g.start?.(ctx);
    try {
      const log = captureLogger();
      const verdict: GuardVerdict = await enter(guards[0]!, vsphereEvent(900), log);
      expect(verdict.action).toBe('proceed');
      // The handler ran (the Slack message is out); then the store lost the claim.
      await kind.loseData();
      if (verdict.action === 'proceed') await verdict.onSuccess?.();

      expect(log.messages('error')).toEqual([]);
      expect(log.messages('warn')).toEqual([expect.stringContaining('claim record had vanished')]);
      expect(
        await counterValue(ctx.registry, 'veba_state_completion_conflicts_total', {
          outcome: 'recreated',
        }),
      ).toBe(1);
      expect(await enter(guards[0]!, vsphereEvent(900))).toMatchObject({
        action: 'skip',
        outcome: 'duplicate',
      });
      // The recreated record keeps the payload fingerprint: the same payload is no mismatch.
      expect(await counterValue(ctx.registry, 'veba_state_payload_mismatch_total')).toBe(0);
    } finally {
      for (const g of guards) await g.stop?.();
    }
  });
});
