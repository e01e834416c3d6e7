/**
 * A store that fails under a completion or a release, then comes back (a Redis crash and restart
 * mid-burst, found by the reliability suite): the dedupe guard's write lands once the store
 * answers, so the event is neither held at 409 for its whole lease nor run twice after it.
 */
import { EventInProgressError, type GuardVerdict } from '@veba-functions/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStateStore, dedupe, StateStoreError } from '../src/index.js';
import type { ClaimRequest, StateStore } from '../src/index.js';
import { createPendingWrites } from '../src/pending-writes.js';
import { captureLogger, counterValue, enter, startContext, vsphereEvent } from './support.js';

type Proceed = Extract<GuardVerdict, { action: 'proceed' }>;

/**
 * The memory store behind a switch: `down` fails every call without doing it; `loseReplies`
 * does the call and then fails it (the reply lost on a cut connection).
 */
function flakyStore() {
  const inner = createMemoryStateStore({ logger: captureLogger() });
  const state = { down: false, loseReplies: false };
  const call = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    if (state.down) throw new StateStoreError(operation, 'Connection is closed.');
    const result = await run();
    if (state.loseReplies) throw new StateStoreError(operation, 'Command timed out');
    return result;
  };
  const store: StateStore = {
    kind: 'redis',
    start: () => inner.start(),
    claim: (key: string, request: ClaimRequest) => call('claim', () => inner.claim(key, request)),
    complete: (key, owner, ttlMs, fp) =>
      call('complete', () => inner.complete(key, owner, ttlMs, fp)),
    release: (key, owner) => call('release', () => inner.release(key, owner)),
    getMark: (scope) => call('check', () => inner.getMark(scope)),
    advanceMark: (scope, key, ttl) => call('advance', () => inner.advanceMark(scope, key, ttl)),
    close: () => inner.close(),
  };
  return { store, state };
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function startedGuard() {
  const { store, state } = flakyStore();
  const guard = dedupe({ store });
  const ctx = startContext({});
  await guard.start!(ctx);
  stops.push(() => guard.stop!());
  return { guard, state, ctx };
}

/** Enters until the verdict is not a 409, for at most `ms`. */
async function enterWhenFree(
  guard: Awaited<ReturnType<typeof startedGuard>>['guard'],
  key: number,
  ms = 3000,
) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await enter(guard, vsphereEvent(key));
    } catch (error) {
      if (!(error instanceof EventInProgressError) || Date.now() > end) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('writes the store failed under are retried until it answers', () => {
  it('a completion that failed lands once the store is back: the redelivery is a duplicate, not a 409 and not a second run', async () => {
    const { guard, state, ctx } = await startedGuard();
    const log = captureLogger();
    const first = (await enter(guard, vsphereEvent(1), log)) as Proceed;
    state.down = true;
    await first.onSuccess!(); // does not throw: the work is done
    state.down = false;

    expect(await enterWhenFree(guard, 1)).toMatchObject({ action: 'skip', outcome: 'duplicate' });
    expect(log.messages('error')).toEqual([
      'handled, but recording completion failed: retrying until the state store answers',
    ]);
    expect(log.messages('info')).toContain('completion recorded');
    expect(
      await counterValue(ctx.registry, 'veba_state_store_errors_total', { operation: 'complete' }),
    ).toBe(1);
  });

  it('a release that failed lands once the store is back: the redelivery runs', async () => {
    const { guard, state } = await startedGuard();
    const first = (await enter(guard, vsphereEvent(2))) as Proceed;
    state.down = true;
    await first.onFailure!(new Error('handler failed'));
    state.down = false;

    expect(await enterWhenFree(guard, 2)).toMatchObject({ action: 'proceed' });
  });

  it('a claim whose reply was lost (written, then the error) is released once the store answers', async () => {
    const { guard, state } = await startedGuard();
    state.loseReplies = true;
    await expect(enter(guard, vsphereEvent(3))).rejects.toThrow(/state store unavailable/);
    state.loseReplies = false;

    expect(await enterWhenFree(guard, 3)).toMatchObject({ action: 'proceed' });
  });

  it('stop() gives each pending write one last try', async () => {
    const { store, state } = flakyStore();
    const guard = dedupe({ store });
    await guard.start!(startContext({}));
    const first = (await enter(guard, vsphereEvent(4))) as Proceed;
    state.down = true;
    await first.onSuccess!();
    state.down = false;
    await guard.stop!();

    const again = dedupe({ store });
    await again.start!(startContext({}));
    stops.push(() => again.stop!());
    expect(await enter(again, vsphereEvent(4))).toMatchObject({ outcome: 'duplicate' });
  });
});

describe('createPendingWrites', () => {
  it('retries a failing write with backoff until it lands, others behind it too', async () => {
    const pending = createPendingWrites({ initialDelayMs: 5, maxDelayMs: 20 });
    let failures = 3;
    const landed: string[] = [];
    pending.add({
      until: Date.now() + 5000,
      attempt: () =>
        failures-- > 0 ? Promise.reject(new Error('down')) : Promise.resolve(void landed.push('a')),
      abandon: () => landed.push('abandoned a'),
    });
    pending.add({
      until: Date.now() + 5000,
      attempt: () => Promise.resolve(void landed.push('b')),
      abandon: () => undefined,
    });
    while (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(landed.sort()).toEqual(['a', 'b']);
  });

  it('nudge() tries at once when the backoff would wait long', async () => {
    const pending = createPendingWrites({ initialDelayMs: 60_000, maxDelayMs: 60_000 });
    let landed = false;
    pending.add({
      until: Date.now() + 120_000,
      attempt: () => Promise.resolve(void (landed = true)),
      abandon: () => undefined,
    });
    pending.nudge();
    while (!landed) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(pending.size).toBe(0);
  });

  it('drops a write past its time, and flush() tries once more then drops the rest', async () => {
    const pending = createPendingWrites({ initialDelayMs: 5, maxDelayMs: 5 });
    const seen: string[] = [];
    pending.add({
      until: Date.now() - 1,
      attempt: () => Promise.reject(new Error('down')),
      abandon: () => seen.push('late'),
    });
    while (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    pending.add({
      until: Date.now() + 60_000,
      attempt: () => Promise.reject(new Error('down')),
      abandon: () => seen.push('flushed'),
    });
    await pending.flush();
    pending.add({
      until: Date.now() + 60_000,
      attempt: () => Promise.resolve(),
      abandon: () => seen.push('after stop'),
    });
    expect(seen).toEqual(['late', 'flushed', 'after stop']);
    expect(pending.size).toBe(0);
  });
});
