/* eslint-disable @typescript-eslint/require-await -- the fake guards implement an async interface synchronously */
import type { CloudEvent } from 'cloudevents';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError, EventInProgressError, defineFunction } from '../src/index.js';
import type { EventGuard, GuardVerdict, HandleResult, HandlerContext } from '../src/index.js';
import { get, postBinary, start } from './helpers.js';

/** A guard whose verdict the test sets per event, recording every call. */
function fakeGuard(
  name: string,
  verdict: (event: CloudEvent<unknown>) => Promise<GuardVerdict>,
  calls: string[],
): EventGuard {
  return {
    name,
    config: { [`${name.toUpperCase()}_TTL`]: z.coerce.number().default(60) },
    async start(ctx) {
      calls.push(`${name}.start ttl=${String(ctx.config[`${name.toUpperCase()}_TTL`])}`);
    },
    async enter(event) {
      calls.push(`${name}.enter`);
      const v = await verdict(event);
      if (v.action !== 'proceed') return v;
      return {
        ...v,
        async onSuccess() {
          calls.push(`${name}.onSuccess`);
        },
        async onFailure(error) {
          calls.push(`${name}.onFailure ${(error as Error).name}`);
        },
      };
    },
    async stop() {
      calls.push(`${name}.stop`);
    },
  };
}

function guardedFunction(
  guards: EventGuard[],
  calls: string[],
  handle: (
    ctx: HandlerContext<unknown, Record<string, unknown>>,
  ) => Promise<HandleResult | void> | HandleResult | void = () => undefined,
) {
  return defineFunction({
    name: 'guarded',
    guards,
    init() {
      calls.push('init');
    },
    async handle(_event, ctx) {
      calls.push(`handle outOfOrder=${String(ctx.outOfOrder)}`);
      return handle(ctx);
    },
    shutdown() {
      calls.push('shutdown');
    },
  });
}

const proceed = async (): Promise<GuardVerdict> => ({ action: 'proceed' });

describe('the guard seam', () => {
  it('starts guards before init with their config merged, stops them before shutdown', async () => {
    const calls: string[] = [];
    const fn = await start(guardedFunction([fakeGuard('dedupe', proceed, calls)], calls), {
      env: { DEDUPE_TTL: '30' },
    });
    expect(calls).toEqual(['dedupe.start ttl=30', 'init']);
    await fn.stop();
    expect(calls).toEqual(['dedupe.start ttl=30', 'init', 'dedupe.stop', 'shutdown']);
  });

  it('proceed -> handler runs, onSuccess hooks run in reverse order after a 2xx', async () => {
    const calls: string[] = [];
    const fn = await start(
      guardedFunction([fakeGuard('a', proceed, calls), fakeGuard('b', proceed, calls)], calls),
    );
    calls.length = 0;
    expect((await postBinary(fn.url)).status).toBe(204);
    expect(calls).toEqual([
      'a.enter',
      'b.enter',
      'handle outOfOrder=false',
      'b.onSuccess',
      'a.onSuccess',
    ]);
  });

  it('skip duplicate -> 200 { skipped }, handler not called, counted as duplicate, logged at info', async () => {
    const calls: string[] = [];
    const skip = async (): Promise<GuardVerdict> => ({
      action: 'skip',
      outcome: 'duplicate',
      reason: 'already processed',
    });
    const fn = await start(
      guardedFunction([fakeGuard('a', proceed, calls), fakeGuard('dedupe', skip, calls)], calls),
    );
    calls.length = 0;
    const reply = await postBinary(fn.url);
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ skipped: 'already processed' });
    // The earlier guard proceeded, and a skip is a success for it (its lock is released as done).
    expect(calls).toEqual(['a.enter', 'dedupe.enter', 'a.onSuccess']);
    const metrics = await fn.metrics.getSingleMetricAsString('veba_function_events_total');
    expect(metrics).toMatch(/outcome="duplicate"} 1/);
    const line = fn.logs.records().find((r) => r.msg === 'event skipped');
    expect(line).toMatchObject({
      level: 'info',
      reason: 'already processed',
      outcome: 'duplicate',
    });
  });

  it('skip stale -> 200, counted as stale', async () => {
    const calls: string[] = [];
    const skip = async (): Promise<GuardVerdict> => ({
      action: 'skip',
      outcome: 'stale',
      reason: 'older than Key 12',
    });
    const fn = await start(guardedFunction([fakeGuard('order', skip, calls)], calls));
    expect((await postBinary(fn.url)).status).toBe(200);
    expect(await fn.metrics.getSingleMetricAsString('veba_function_events_total')).toMatch(
      /outcome="stale"} 1/,
    );
  });

  it('EventInProgressError from enter -> 409, handler not called', async () => {
    const calls: string[] = [];
    const busy = async (): Promise<GuardVerdict> => {
      throw new EventInProgressError();
    };
    const fn = await start(
      guardedFunction([fakeGuard('a', proceed, calls), fakeGuard('dedupe', busy, calls)], calls),
    );
    calls.length = 0;
    expect((await postBinary(fn.url)).status).toBe(409);
    expect(calls).toEqual(['a.enter', 'dedupe.enter', 'a.onFailure EventInProgressError']);
    expect(await fn.metrics.getSingleMetricAsString('veba_function_events_total')).toMatch(
      /outcome="in_progress"} 1/,
    );
  });

  it('DependencyUnavailableError from enter -> 503 with Retry-After', async () => {
    const calls: string[] = [];
    const down = async (): Promise<GuardVerdict> => {
      throw new DependencyUnavailableError('redis down', { retryAfterSeconds: 7 });
    };
    const fn = await start(guardedFunction([fakeGuard('dedupe', down, calls)], calls));
    const reply = await postBinary(fn.url);
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('7');
    expect(reply.json()).toMatchObject({ error: 'dependency_unavailable', reason: 'redis down' });
    expect(calls).not.toContain('handle outOfOrder=false');
  });

  it('outOfOrder from a proceed verdict reaches the handler context', async () => {
    const calls: string[] = [];
    const flag = async (): Promise<GuardVerdict> => ({ action: 'proceed', outOfOrder: true });
    const fn = await start(guardedFunction([fakeGuard('order', flag, calls)], calls));
    calls.length = 0;
    expect((await postBinary(fn.url)).status).toBe(204);
    expect(calls).toContain('handle outOfOrder=true');
  });

  it('onFailure runs when the handler throws (500)', async () => {
    const calls: string[] = [];
    const fn = await start(
      guardedFunction([fakeGuard('dedupe', proceed, calls)], calls, () => {
        throw new Error('boom');
      }),
    );
    calls.length = 0;
    expect((await postBinary(fn.url)).status).toBe(500);
    expect(calls).toEqual(['dedupe.enter', 'handle outOfOrder=false', 'dedupe.onFailure Error']);
  });

  it('onFailure runs on a handler timeout (503), and the signal is aborted', async () => {
    const calls: string[] = [];
    let aborted: boolean | undefined;
    const fn = await start(
      guardedFunction([fakeGuard('dedupe', proceed, calls)], calls, (ctx) => {
        return new Promise<void>((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = ctx.signal.aborted;
            resolve();
          });
        });
      }),
      { env: { FUNCTION_TIMEOUT_SECONDS: '0.2' } },
    );
    calls.length = 0;
    const reply = await postBinary(fn.url);
    expect(reply.status).toBe(503);
    expect(reply.json()).toMatchObject({ error: 'timeout' });
    expect(aborted).toBe(true);
    expect(calls).toEqual([
      'dedupe.enter',
      'handle outOfOrder=false',
      'dedupe.onFailure HandlerTimeoutError',
    ]);
    expect(await fn.metrics.getSingleMetricAsString('veba_function_events_total')).toMatch(
      /outcome="timeout"} 1/,
    );
  });

  it('a guard whose enter hangs past the deadline -> 503, earlier guards get onFailure', async () => {
    const calls: string[] = [];
    const hang = (): Promise<GuardVerdict> => new Promise<GuardVerdict>(() => undefined);
    const fn = await start(
      guardedFunction([fakeGuard('a', proceed, calls), fakeGuard('stuck', hang, calls)], calls),
      { env: { FUNCTION_TIMEOUT_SECONDS: '0.2' } },
    );
    calls.length = 0;
    const reply = await postBinary(fn.url);
    expect(reply.status).toBe(503);
    expect(reply.json()).toMatchObject({ error: 'timeout' });
    expect(calls).toEqual(['a.enter', 'stuck.enter', 'a.onFailure HandlerTimeoutError']);
  });

  it('a guard start failure fails init and stops the guards already started', async () => {
    const calls: string[] = [];
    const broken: EventGuard = {
      name: 'broken',
      async start() {
        throw new DependencyUnavailableError('redis unreachable');
      },
      enter: proceed,
    };
    const def = guardedFunction([fakeGuard('a', proceed, calls), broken], calls);
    await expect(start(def)).rejects.toThrow('redis unreachable');
    expect(calls).toEqual(['a.start ttl=60', 'a.stop']);
  });

  it('readiness stays 503 while a guard starts', async () => {
    let release: () => void = () => undefined;
    let url = '';
    const slow: EventGuard = {
      name: 'slow',
      start: () => new Promise<void>((resolve) => (release = resolve)),
      enter: proceed,
    };
    const def = defineFunction({ name: 'slow-start', guards: [slow], handle: () => undefined });
    const starting = start(def, { onListening: (address) => (url = address.url) });
    await expect.poll(() => url).not.toBe('');
    expect((await get(url, '/health/readiness')).status).toBe(503);
    release();
    await starting;
    expect((await get(url, '/health/readiness')).status).toBe(200);
  });
});
