import type { EventGuard, GuardVerdict } from '@veba-functions/runtime';
import { InvalidEventError } from '@veba-functions/runtime';
import { DependencyUnavailableError, EventInProgressError } from '@veba-functions/runtime';
import { startRedis, type RedisServer } from '@veba-functions/test-helpers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStateGuards, createStateStore, dedupe, ordering } from '../src/index.js';
import {
  SOURCE,
  captureLogger,
  counterValue,
  enter,
  legacyEvent,
  shuffled,
  startContext,
  vsphereEvent,
} from './support.js';

type Proceed = Extract<GuardVerdict, { action: 'proceed' }>;

function proceeded(v: GuardVerdict): Proceed {
  if (v.action !== 'proceed') throw new Error(`expected proceed, got ${JSON.stringify(v)}`);
  return v;
}

let redis: RedisServer;
let prefixCounter = 0;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

const kinds = [
  {
    name: 'redis',
    config: () => ({ REDIS_URL: redis.url }),
    storeOptions: () => ({ keyPrefix: `${redis.keyPrefix}${++prefixCounter}:` }),
  },
  { name: 'memory', config: () => ({}), storeOptions: () => ({}) },
];

describe.each(kinds)('guards on the $name store', (kind) => {
  const toStop: EventGuard[] = [];
  afterEach(async () => {
    for (const g of toStop.splice(0)) await g.stop?.();
  });

  async function started(
    options: Parameters<typeof createStateGuards>[0],
    config: Record<string, unknown> = {},
    functionName = 'test-fn',
  ) {
    const guards = createStateGuards({ storeOptions: kind.storeOptions(), ...options });
    const ctx = startContext({ ...kind.config(), ...config }, captureLogger(), functionName);
    for (const g of guards) await g.start?.(ctx);
    toStop.push(...guards);
    return { guards, ctx };
  }

  describe('dedupe', () => {
    it('proceeds once, skips a completed duplicate, answers 409 while in progress', async () => {
      const { guards, ctx } = await started({ dedupe: true });
      const [guard] = guards;
      const first = proceeded(await enter(guard!, vsphereEvent(100)));
      await expect(enter(guard!, vsphereEvent(100))).rejects.toBeInstanceOf(EventInProgressError);
      await first.onSuccess?.();
      expect(await enter(guard!, vsphereEvent(100))).toMatchObject({
        action: 'skip',
        outcome: 'duplicate',
      });
      expect(await counterValue(ctx.registry, 'veba_state_duplicates_total')).toBe(1);
      expect(await counterValue(ctx.registry, 'veba_state_in_progress_total')).toBe(1);
    });

    it('releases on failure so the broker retry runs', async () => {
      const { guards } = await started({ dedupe: true });
      const first = proceeded(await enter(guards[0]!, vsphereEvent(101)));
      await first.onFailure?.(new Error('boom'));
      const retry = proceeded(await enter(guards[0]!, vsphereEvent(101)));
      await retry.onSuccess?.();
      expect((await enter(guards[0]!, vsphereEvent(101))).action).toBe('skip');
    });

    it('uses (source, data.Key) for legacy router events whose id changes per emission', async () => {
      const { guards } = await started({ dedupe: true });
      const first = proceeded(await enter(guards[0]!, legacyEvent(7, 'uuid-1')));
      await first.onSuccess?.();
      expect(await enter(guards[0]!, legacyEvent(7, 'uuid-2'))).toMatchObject({
        outcome: 'duplicate',
      });
      expect((await enter(guards[0]!, legacyEvent(8, 'uuid-3'))).action).toBe('proceed');
    });

    it('lets a legacy event without Key through unchecked, with a warning', async () => {
      const { guards, ctx } = await started({ dedupe: true });
      const log = captureLogger();
      expect((await enter(guards[0]!, legacyEvent(undefined, 'u1'), log)).action).toBe('proceed');
      expect((await enter(guards[0]!, legacyEvent(undefined, 'u1'), log)).action).toBe('proceed');
      expect(log.messages('warn').some((m) => m.includes('no dedupe identity'))).toBe(true);
      expect(
        await counterValue(ctx.registry, 'veba_state_unchecked_total', { reason: 'no_identity' }),
      ).toBe(2);
    });

    it('uses (source, id) by default: same id from another vCenter is another event', async () => {
      const { guards } = await started({ dedupe: true });
      const a = proceeded(await enter(guards[0]!, vsphereEvent(5)));
      await a.onSuccess?.();
      expect(
        (await enter(guards[0]!, vsphereEvent(5, { source: 'https://other/sdk' }))).action,
      ).toBe('proceed');
    });

    it('accepts a custom identity extractor', async () => {
      const { guards } = await started({
        dedupe: {
          identity: (e) => ({ source: 'all', id: String((e.data as { ChainId: number }).ChainId) }),
        },
      });
      const a = proceeded(await enter(guards[0]!, vsphereEvent(1, {}, { ChainId: 42 })));
      await a.onSuccess?.();
      expect(await enter(guards[0]!, vsphereEvent(2, {}, { ChainId: 42 }))).toMatchObject({
        outcome: 'duplicate',
      });
    });

    it('namespaces by function name: two functions never dedupe each other', async () => {
      const one = await started({ dedupe: true }, {}, 'fn-one');
      const two = await started({ dedupe: true }, {}, 'fn-two');
      const a = proceeded(await enter(one.guards[0]!, vsphereEvent(9), captureLogger(), 'fn-one'));
      await a.onSuccess?.();
      expect((await enter(two.guards[0]!, vsphereEvent(9), captureLogger(), 'fn-two')).action).toBe(
        'proceed',
      );
      expect((await enter(one.guards[0]!, vsphereEvent(9), captureLogger(), 'fn-one')).action).toBe(
        'skip',
      );
    });

    it('warns and counts the same identity with a different payload', async () => {
      const { guards, ctx } = await started({ dedupe: true });
      const a = proceeded(await enter(guards[0]!, vsphereEvent(11, {}, { UserName: 'alice' })));
      await a.onSuccess?.();
      const log = captureLogger();
      expect(
        await enter(guards[0]!, vsphereEvent(11, {}, { UserName: 'mallory' }), log),
      ).toMatchObject({ outcome: 'duplicate' });
      expect(log.messages('warn').some((m) => m.includes('different payload'))).toBe(true);
      expect(await counterValue(ctx.registry, 'veba_state_payload_mismatch_total')).toBe(1);
      // The identical payload is not a mismatch.
      await enter(guards[0]!, vsphereEvent(11, {}, { UserName: 'alice' }));
      expect(await counterValue(ctx.registry, 'veba_state_payload_mismatch_total')).toBe(1);
    });

    it("takes over after the lease expires; the old owner's complete and release have no effect", async () => {
      const { guards, ctx } = await started({ dedupe: true }, { DEDUPE_LEASE_SECONDS: 1 });
      // A deadline long past: the lease is the configured 1 s.
      const crashedLog = captureLogger();
      const crashed = proceeded(
        await enter(guards[0]!, vsphereEvent(12), crashedLog, 'test-fn', -10_000),
      );
      await new Promise((r) => setTimeout(r, 1200));
      const retry = proceeded(
        await enter(guards[0]!, vsphereEvent(12), captureLogger(), 'test-fn', -10_000),
      );
      expect(await counterValue(ctx.registry, 'veba_state_lease_takeovers_total')).toBe(1);
      await crashed.onSuccess?.();
      expect(crashedLog.messages('warn')).toEqual([
        expect.stringContaining('another delivery holds the claim now'),
      ]);
      expect(
        await counterValue(ctx.registry, 'veba_state_completion_conflicts_total', {
          outcome: 'taken_over',
        }),
      ).toBe(1);
      await expect(enter(guards[0]!, vsphereEvent(12))).rejects.toBeInstanceOf(
        EventInProgressError,
      );
      await crashed.onFailure?.(new Error('late'));
      await expect(enter(guards[0]!, vsphereEvent(12))).rejects.toBeInstanceOf(
        EventInProgressError,
      );
      await retry.onSuccess?.();
      expect(await enter(guards[0]!, vsphereEvent(12))).toMatchObject({
        outcome: 'duplicate',
      });
    });

    it('extends the lease to cover the handler deadline', async () => {
      const { guards } = await started({ dedupe: true }, { DEDUPE_LEASE_SECONDS: 1 });
      await enter(guards[0]!, vsphereEvent(14), captureLogger(), 'test-fn', 30_000);
      await new Promise((r) => setTimeout(r, 1200));
      await expect(enter(guards[0]!, vsphereEvent(14))).rejects.toThrow(
        /lease ends in (2\d|3\d) s/,
      );
    });

    it('reads its settings from config (env wins over options)', async () => {
      const { guards } = await started({ dedupe: { ttlSeconds: 3600 } }, { DEDUPE_TTL_SECONDS: 1 });
      const a = proceeded(await enter(guards[0]!, vsphereEvent(13)));
      await a.onSuccess?.();
      expect((await enter(guards[0]!, vsphereEvent(13))).action).toBe('skip');
      await new Promise((r) => setTimeout(r, 1200));
      expect((await enter(guards[0]!, vsphereEvent(13))).action).toBe('proceed');
    });

    it('rejects an invalid config value naming the key, not the value', async () => {
      const guards = createStateGuards({ dedupe: true, storeOptions: kind.storeOptions() });
      const ctx = startContext({ ...kind.config(), DEDUPE_ON_STORE_ERROR: 'sometimes-s3cr3t' });
      await expect(guards[0]!.start?.(ctx)).rejects.toThrow(/DEDUPE_ON_STORE_ERROR/);
      await expect(guards[0]!.start?.(ctx)).rejects.not.toThrow(/s3cr3t/);
    });
  });

  describe('ordering', () => {
    const keys = Array.from({ length: 60 }, (_, i) => 1000 + i * 3);

    async function run(policy: 'skip' | 'process' | 'flag', seed: number) {
      const { guards, ctx } = await started({ ordering: { policy } });
      const guard = guards[0]!;
      const handled: number[] = [];
      const flagged: number[] = [];
      const skipped: number[] = [];
      let highest = -1;
      const expectedStale: number[] = [];
      for (const key of shuffled(keys, seed)) {
        if (key < highest) expectedStale.push(key);
        const verdict = await enter(guard, vsphereEvent(key));
        if (verdict.action === 'skip') {
          expect(verdict.outcome).toBe('stale');
          skipped.push(key);
          continue;
        }
        handled.push(key);
        if (verdict.outOfOrder) flagged.push(key);
        await verdict.onSuccess?.();
        highest = Math.max(highest, key);
      }
      return { handled, flagged, skipped, expectedStale, ctx };
    }

    it('skip: drops exactly the events older than one already handled', async () => {
      const r = await run('skip', 7);
      expect(r.expectedStale.length).toBeGreaterThan(10);
      expect(r.skipped).toEqual(r.expectedStale);
      expect(r.handled.length + r.skipped.length).toBe(keys.length);
      expect(r.flagged).toEqual([]);
      // What was handled is increasing: nothing older than an earlier handled event got through.
      expect(r.handled).toEqual([...r.handled].sort((a, b) => a - b));
      expect(await counterValue(r.ctx.registry, 'veba_state_stale_total', { policy: 'skip' })).toBe(
        r.expectedStale.length,
      );
    });

    it('process: handles everything, unflagged, and counts the stale ones', async () => {
      const r = await run('process', 11);
      expect(r.handled).toHaveLength(keys.length);
      expect(r.flagged).toEqual([]);
      expect(
        await counterValue(r.ctx.registry, 'veba_state_stale_total', { policy: 'process' }),
      ).toBe(r.expectedStale.length);
    });

    it('flag: handles everything and flags exactly the stale ones', async () => {
      const r = await run('flag', 13);
      expect(r.handled).toHaveLength(keys.length);
      expect(r.flagged).toEqual(r.expectedStale);
      expect(r.flagged.length).toBeGreaterThan(10);
    });

    it('a failed event retried by the broker is not stale against itself', async () => {
      const { guards } = await started({ dedupe: true, ordering: { policy: 'skip' } });
      const [dedupeGuard, orderingGuard] = guards;
      const enterBoth = async (key: number) => {
        const d = proceeded(await enter(dedupeGuard!, vsphereEvent(key)));
        const o = await enter(orderingGuard!, vsphereEvent(key));
        return { d, o };
      };
      const first = await enterBoth(500);
      expect(first.o.action).toBe('proceed');
      // Handler fails: hooks in reverse order.
      await proceeded(first.o).onFailure?.(new Error('vCenter down'));
      await first.d.onFailure?.(new Error('vCenter down'));
      const retry = await enterBoth(500);
      expect(retry.o.action).toBe('proceed');
      await proceeded(retry.o).onSuccess?.();
      await retry.d.onSuccess?.();
      // Even if dedupe had forgotten it, key == mark is not stale.
      const again = await enter(orderingGuard!, vsphereEvent(500));
      expect(again.action).toBe('proceed');
      expect((await enter(orderingGuard!, vsphereEvent(499))).action).toBe('skip');
    });

    it('scopes per entity when given a scope function', async () => {
      const vmScope = (e: { data?: unknown }) =>
        (e.data as { Vm?: { Vm?: { Value?: string } } }).Vm?.Vm?.Value;
      const { guards } = await started({ ordering: { policy: 'skip', scope: vmScope } });
      const vm = (key: number, id: string) =>
        vsphereEvent(key, {}, { Vm: { Name: id, Vm: { Type: 'VirtualMachine', Value: id } } });
      await proceeded(await enter(guards[0]!, vm(20, 'vm-1'))).onSuccess?.();
      expect((await enter(guards[0]!, vm(10, 'vm-2'))).action).toBe('proceed');
      expect((await enter(guards[0]!, vm(10, 'vm-1'))).action).toBe('skip');
      // No VM: unchecked, never an error.
      expect((await enter(guards[0]!, vsphereEvent(1))).action).toBe('proceed');
    });

    it('skips the check with a warning when Key is missing', async () => {
      const { guards, ctx } = await started({ ordering: true });
      await proceeded(await enter(guards[0]!, vsphereEvent(100))).onSuccess?.();
      for (const absent of [undefined, null]) {
        const log = captureLogger();
        const event = vsphereEvent(0, {}, { Key: absent });
        expect((await enter(guards[0]!, event, log)).action).toBe('proceed');
        expect(log.messages('warn')).toEqual([expect.stringContaining('no integer Key')]);
      }
      expect(
        await counterValue(ctx.registry, 'veba_state_unchecked_total', { reason: 'no_key' }),
      ).toBe(2);
      // A decimal-string key is a key.
      expect((await enter(guards[0]!, vsphereEvent(0, {}, { Key: '99' }))).action).toBe('skip');
    });

    it('refuses (400) a Key that is present but unusable, and the mark does not move', async () => {
      const { guards } = await started({ ordering: true });
      await proceeded(await enter(guards[0]!, vsphereEvent(100))).onSuccess?.();
      // 2^53 - 1 would have made every later event of the scope stale for ORDERING_TTL_SECONDS.
      for (const bad of ['abc', 1.5, -3, { nested: 1 }, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
        await expect(enter(guards[0]!, vsphereEvent(0, {}, { Key: bad }))).rejects.toBeInstanceOf(
          InvalidEventError,
        );
      }
      const next = proceeded(await enter(guards[0]!, vsphereEvent(101)));
      await next.onSuccess?.();
      expect((await enter(guards[0]!, vsphereEvent(100))).action).toBe('skip');
    });

    it('treats gaps as normal', async () => {
      const { guards } = await started({ ordering: true });
      for (const key of [1, 50, 51, 10_000]) {
        const log = captureLogger();
        await proceeded(await enter(guards[0]!, vsphereEvent(key), log)).onSuccess?.();
        expect(log.messages('warn')).toEqual([]);
      }
    });

    it('ORDERING_POLICY overrides the policy option', async () => {
      const { guards } = await started(
        { ordering: { policy: 'skip' } },
        { ORDERING_POLICY: 'flag' },
      );
      await proceeded(await enter(guards[0]!, vsphereEvent(10))).onSuccess?.();
      expect(await enter(guards[0]!, vsphereEvent(5))).toMatchObject({
        action: 'proceed',
        outOfOrder: true,
      });
    });
  });

  it('dedupe runs before ordering: a late duplicate is answered as a duplicate, not as stale', async () => {
    const { guards, ctx } = await started({ dedupe: true, ordering: true });
    expect(guards.map((g) => g.name)).toEqual(['dedupe', 'ordering']);
    // What the runtime does: enter in order, stop at the first skip, hooks in reverse.
    const deliver = async (key: number) => {
      const passed: Proceed[] = [];
      for (const g of guards) {
        const v = await enter(g, vsphereEvent(key));
        if (v.action === 'skip') {
          for (const p of passed.reverse()) await p.onSuccess?.();
          return v.outcome;
        }
        passed.push(v);
      }
      for (const p of passed.reverse()) await p.onSuccess?.();
      return 'processed';
    };
    expect(await deliver(10)).toBe('processed');
    expect(await deliver(20)).toBe('processed');
    expect(await deliver(10)).toBe('duplicate');
    expect(await deliver(15)).toBe('stale');
    // The stale event was recorded as done by dedupe: its redelivery is a cheap duplicate.
    expect(await deliver(15)).toBe('duplicate');
    expect(await counterValue(ctx.registry, 'veba_state_stale_total')).toBe(1);
  });
});

describe('store errors (redis down)', () => {
  let own: RedisServer;
  beforeAll(async () => {
    own = await startRedis({ dedicated: true });
  });
  afterAll(() => own.stop());

  async function startedOn(
    options: Parameters<typeof createStateGuards>[0],
    config: Record<string, unknown>,
  ) {
    const guards = createStateGuards({
      storeOptions: { keyPrefix: own.keyPrefix, commandTimeoutMs: 300 },
      ...options,
    });
    const ctx = startContext({ REDIS_URL: own.url, ...config });
    for (const g of guards) await g.start?.(ctx);
    return { guards, ctx };
  }

  it('fail-closed answers 503 fast when Redis hangs; fail-open proceeds with a warning', async () => {
    const closed = await startedOn({ dedupe: true, ordering: true }, {});
    const open = await startedOn(
      { dedupe: true, ordering: true },
      { DEDUPE_ON_STORE_ERROR: 'fail-open', ORDERING_ON_STORE_ERROR: 'fail-open' },
    );
    own.freeze();
    try {
      await expect(enter(closed.guards[0]!, vsphereEvent(1))).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
      await expect(enter(closed.guards[1]!, vsphereEvent(1))).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
      const log = captureLogger();
      expect((await enter(open.guards[0]!, vsphereEvent(1), log)).action).toBe('proceed');
      expect((await enter(open.guards[1]!, vsphereEvent(1), log)).action).toBe('proceed');
      expect(log.messages('warn').filter((m) => m.includes('fail-open'))).toHaveLength(2);
      expect(
        await counterValue(closed.ctx.registry, 'veba_state_store_errors_total', {
          mode: 'fail-closed',
        }),
      ).toBe(2);
      expect(
        await counterValue(open.ctx.registry, 'veba_state_store_errors_total', {
          mode: 'fail-open',
        }),
      ).toBe(2);
    } finally {
      own.thaw();
      for (const g of [...closed.guards, ...open.guards]) await g.stop?.();
    }
  });

  it('fails start when Redis cannot be reached', async () => {
    const guards = createStateGuards({ dedupe: true, storeOptions: { connectTimeoutMs: 500 } });
    const ctx = startContext({ REDIS_URL: 'redis://user:hunter2@127.0.0.1:1' });
    const failure = guards[0]!.start?.(ctx);
    await expect(failure).rejects.toThrow(/cannot reach redis:\/\/127\.0\.0\.1:1/);
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });

  it('fails start with the reason when the password is wrong, never echoing it', async () => {
    const locked = await startRedis({ dedicated: true });
    const admin = createStateStore({ redisUrl: locked.url, logger: captureLogger() });
    await admin.start();
    await (
      admin as unknown as { redis: { config(...a: string[]): Promise<unknown> } }
    ).redis.config('SET', 'requirepass', 'right-one');
    await admin.close();
    try {
      const guards = createStateGuards({ dedupe: true, storeOptions: { connectTimeoutMs: 2000 } });
      const failure = guards[0]!.start?.(
        startContext({ REDIS_URL: locked.url.replace('redis://', 'redis://:wrong-one@') }),
      );
      await expect(failure).rejects.toThrow(/WRONGPASS|invalid password|NOAUTH/i);
      await expect(failure).rejects.not.toThrow(/wrong-one|right-one/);
      const ok = createStateGuards({ dedupe: true });
      await ok[0]!.start?.(
        startContext({ REDIS_URL: locked.url.replace('redis://', 'redis://:right-one@') }),
      );
      await ok[0]!.stop?.();
    } finally {
      await locked.stop();
    }
  });

  it('rejects a REDIS_URL that is not redis:// or rediss:// without echoing it', async () => {
    const guards = createStateGuards({ dedupe: true });
    const ctx = startContext({ REDIS_URL: 'http://user:hunter2@somewhere' });
    await expect(guards[0]!.start?.(ctx)).rejects.toThrow(
      /REDIS_URL must start with redis:\/\/ or rediss:\/\//,
    );
    await expect(guards[0]!.start?.(ctx)).rejects.not.toThrow(/hunter2/);
  });
});

describe('standalone factories', () => {
  it('dedupe() and ordering() each work with their own store and share a registry', async () => {
    const d = dedupe();
    const o = ordering({ policy: 'flag' });
    const ctx = startContext({});
    await d.start?.(ctx);
    await o.start?.(ctx);
    try {
      await proceeded(await enter(d, vsphereEvent(3))).onSuccess?.();
      await proceeded(await enter(o, vsphereEvent(3))).onSuccess?.();
      expect(await enter(d, vsphereEvent(3))).toMatchObject({
        outcome: 'duplicate',
      });
      expect(await enter(o, vsphereEvent(2))).toMatchObject({ outOfOrder: true });
      expect(ctx.capture.messages('info').filter((m) => m.includes('per instance'))).toHaveLength(
        2,
      );
      expect(SOURCE).toContain('/sdk');
    } finally {
      await d.stop?.();
      await o.stop?.();
    }
  });

  it('refuses events before start()', async () => {
    await expect(enter(dedupe(), vsphereEvent(1))).rejects.toThrow(/before start/);
    await expect(enter(ordering(), vsphereEvent(1))).rejects.toThrow(/before start/);
  });
});

describe('ordering across replicas (redis) and the local mark cache', () => {
  async function replica(prefix: string) {
    const guards = createStateGuards({
      ordering: { policy: 'skip' },
      storeOptions: { keyPrefix: prefix },
    });
    const ctx = startContext({ REDIS_URL: redis.url });
    for (const g of guards) await g.start?.(ctx);
    return guards[0]!;
  }

  it('never answers "in order" from a cached mark another replica has passed', async () => {
    const prefix = `${redis.keyPrefix}replicas:`;
    const a = await replica(prefix);
    const b = await replica(prefix);
    try {
      await proceeded(await enter(b, vsphereEvent(50))).onSuccess?.();
      await proceeded(await enter(a, vsphereEvent(100))).onSuccess?.();
      // b has 50 cached; 70 is newer than that but older than a's 100.
      expect(await enter(b, vsphereEvent(70))).toMatchObject({
        action: 'skip',
        outcome: 'stale',
      });
      expect((await enter(b, vsphereEvent(100))).action).toBe('proceed');
    } finally {
      await a.stop?.();
      await b.stop?.();
    }
  });

  it('answers "stale" from the cache without the store (the mark is a key really handled)', async () => {
    const own = await startRedis({ dedicated: true });
    const guards = createStateGuards({
      ordering: { policy: 'skip' },
      storeOptions: { keyPrefix: own.keyPrefix, commandTimeoutMs: 300 },
    });
    const ctx = startContext({ REDIS_URL: own.url });
    for (const g of guards) await g.start?.(ctx);
    try {
      await proceeded(await enter(guards[0]!, vsphereEvent(100))).onSuccess?.();
      own.freeze();
      expect(await enter(guards[0]!, vsphereEvent(99))).toMatchObject({
        outcome: 'stale',
      });
      // "In order" needs the store: with Redis hanging that is a 503 (fail-closed).
      await expect(enter(guards[0]!, vsphereEvent(101))).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
    } finally {
      own.thaw();
      for (const g of guards) await g.stop?.();
      await own.stop();
    }
  });
});
