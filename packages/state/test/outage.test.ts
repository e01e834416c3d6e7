import {
  mapError,
  startFunction,
  defineFunction,
  type EventGuard,
  type CloudEvent,
} from '@veba-functions/runtime';
import { startRedis, type RedisServer } from '@veba-functions/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateGuards } from '../src/index.js';
import { captureLogger, enter, sleep, startContext, vsphereEvent } from './support.js';

/** One delivery path: the guards driven directly (like the runtime does), or HTTP through the runtime. */
interface Path {
  name: string;
  start(
    redis: RedisServer,
    handled: Map<string, number>,
  ): Promise<{ deliver(event: CloudEvent<unknown>): Promise<number>; stop(): Promise<void> }>;
}

const guardOptions = (redis: RedisServer) =>
  ({
    dedupe: true,
    ordering: { policy: 'process' },
    storeOptions: { keyPrefix: redis.keyPrefix, commandTimeoutMs: 300 },
  }) as const;

const viaGuards: Path = {
  name: 'guards',
  async start(redis, handled) {
    const guards: EventGuard[] = createStateGuards(guardOptions(redis));
    const ctx = startContext({ REDIS_URL: redis.url });
    for (const g of guards) await g.start?.(ctx);
    return {
      // The runtime's contract from docs/design.md, in miniature.
      async deliver(event) {
        const hooks = [];
        try {
          for (const g of guards) {
            const v = await enter(g, event, captureLogger());
            if (v.action === 'skip') {
              for (const h of hooks.reverse()) await h.onSuccess?.();
              return 200;
            }
            hooks.push(v);
          }
        } catch (error) {
          for (const h of hooks.reverse()) await h.onFailure?.(error);
          return mapError(error).status;
        }
        handled.set(event.id, (handled.get(event.id) ?? 0) + 1);
        for (const h of hooks.reverse()) await h.onSuccess?.();
        return 204;
      },
      async stop() {
        for (const g of guards) await g.stop?.();
      },
    };
  },
};

const viaHttp: Path = {
  name: 'HTTP (startFunction)',
  async start(redis, handled) {
    const fn = defineFunction({
      name: 'outage-test',
      guards: createStateGuards(guardOptions(redis)),
      handle(event) {
        handled.set(event.id, (handled.get(event.id) ?? 0) + 1);
      },
    });
    const running = await startFunction(fn, {
      env: { REDIS_URL: redis.url, LOG_LEVEL: 'warn' },
      port: 0,
      host: '127.0.0.1',
      logDestination: { write: () => undefined },
    });
    return {
      async deliver(event) {
        const res = await fetch(running.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'ce-specversion': '1.0',
            'ce-id': event.id,
            'ce-source': event.source,
            'ce-type': event.type,
          },
          body: JSON.stringify(event.data),
        });
        await res.arrayBuffer();
        return res.status;
      },
      stop: () => running.stop(),
    };
  },
};

describe.each([viaGuards, viaHttp])(
  'Redis stopped mid-run under fail-closed, through $name',
  (path) => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedis({ dedicated: true });
    });
    afterAll(() => redis.stop());

    it(
      'answers 503 during the outage and processes every event exactly once after Redis returns',
      { timeout: 60_000 },
      async () => {
        const handled = new Map<string, number>();
        const fn = await path.start(redis, handled);
        try {
          const events = Array.from({ length: 30 }, (_, i) => vsphereEvent(1000 + i));
          const pending: CloudEvent<unknown>[] = [];
          const during: number[] = [];
          for (const [i, event] of events.entries()) {
            if (i === 10) await redis.pause();
            const status = await fn.deliver(event);
            if (i >= 10 && i < 20) during.push(status);
            else if (i < 10) expect(status).toBe(204);
            // Right after the restart the client may still be reconnecting: 503 is fine there too.
            else expect([204, 503]).toContain(status);
            if (status >= 300) pending.push(event);
            if (i === 19) await redis.restart();
          }
          expect(during).toEqual(Array(10).fill(503));
          expect(pending.slice(0, 10).map((e) => e.id)).toEqual(
            events.slice(10, 20).map((e) => e.id),
          );

          // The broker retries the failed ones (until the client has reconnected) ...
          for (const event of pending) {
            let status = 503;
            for (let attempt = 0; attempt < 100 && status === 503; attempt++) {
              status = await fn.deliver(event);
              if (status === 503) await sleep(100);
            }
            expect(status).toBe(204);
          }
          // ... and VEBA replays everything after a restart: all duplicates now.
          for (const event of events) expect(await fn.deliver(event)).toBe(200);

          expect([...handled.keys()].sort()).toEqual(events.map((e) => e.id).sort());
          expect([...handled.values()].every((n) => n === 1)).toBe(true);
        } finally {
          await fn.stop();
        }
      },
    );
  },
);
