/**
 * Group commit on its own, over a scripted batch operation: when calls go out, what each waiter
 * gets, and what happens when waiters give up. The stall rule runs on fake timers (no sleeps).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createArrivalGuard,
  createGroupCommit,
  VCenterError,
  type CommitOutcome,
} from '../src/index.js';

interface PendingCall {
  keys: string[];
  signal: AbortSignal;
  resolve(outcomes: Map<string, CommitOutcome>): void;
  reject(error: Error): void;
}

/** A batch operation whose calls stay open until the test settles them. */
function scripted() {
  const calls: PendingCall[] = [];
  const commit = (keys: readonly string[], signal: AbortSignal) =>
    new Promise<Map<string, CommitOutcome>>((resolve, reject) => {
      calls.push({ keys: [...keys], signal, resolve, reject });
    });
  const allOk = (call: PendingCall): void =>
    call.resolve(new Map(call.keys.map((k) => [k, { ok: true, value: undefined }])));
  return { calls, commit, allOk };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('createGroupCommit', () => {
  it('sends a lone key at once, in a call of its own, before any timer could run', async () => {
    const { calls, commit, allOk } = scripted();
    const group = createGroupCommit({ commit });

    const done = group.submit('vm-1');

    // synchronously: no window, no tick
    expect(calls.map((c) => c.keys)).toEqual([['vm-1']]);
    allOk(calls[0]!);
    await expect(done).resolves.toBeUndefined();
    expect(group.stats).toMatchObject({ calls: 1, keys: 1, inFlight: 0, queued: 0 });
  });

  it('keys arriving while a call is in flight go out together in the next call', async () => {
    const { calls, commit, allOk } = scripted();
    const group = createGroupCommit({ commit, quietMs: 0 });
    const keys = Array.from({ length: 50 }, (_, i) => `vm-${i}`);

    const results = keys.map((k) => group.submit(k));
    expect(calls.map((c) => c.keys.length)).toEqual([1]);
    allOk(calls[0]!);
    await flush();
    expect(calls.map((c) => c.keys.length)).toEqual([1, 49]);
    allOk(calls[1]!);

    await Promise.all(results);
    expect(group.stats.calls).toBe(2);
  });

  it('a key named twice in one batch is sent once and both waiters get its outcome', async () => {
    const { calls, commit, allOk } = scripted();
    const group = createGroupCommit({ commit });
    const first = group.submit('vm-0');
    const a = group.submit('vm-7');
    const b = group.submit('vm-7');
    allOk(calls[0]!);
    await flush();
    expect(calls[1]!.keys).toEqual(['vm-7']);
    allOk(calls[1]!);
    await Promise.all([first, a, b]);
  });

  it('bounds a call by maxBatchSize; full batches go out beside the call in flight, up to maxInFlight', async () => {
    const { calls, commit, allOk } = scripted();
    const group = createGroupCommit({ commit, maxBatchSize: 10, maxInFlight: 3 });
    const results = Array.from({ length: 41 }, (_, i) => group.submit(`vm-${i}`));

    // 1 alone, then two full batches of 10 beside it; the rest waits for a free slot
    expect(calls.map((c) => c.keys.length)).toEqual([1, 10, 10]);
    expect(group.stats.queued).toBe(20);
    allOk(calls[0]!);
    await flush();
    expect(calls.map((c) => c.keys.length)).toEqual([1, 10, 10, 10]);
    for (const call of calls.slice(1)) allOk(call);
    await flush();
    expect(calls.map((c) => c.keys.length)).toEqual([1, 10, 10, 10, 10]);
    allOk(calls[4]!);
    await Promise.all(results);
  });

  it("each waiter gets its own key's outcome; a key missing from the answer fails with its id", async () => {
    const { calls, commit } = scripted();
    const group = createGroupCommit({ commit, quietMs: 0 });
    const first = group.submit('vm-0');
    const ok = group.submit('vm-1');
    const refused = group.submit('vm-2');
    const missing = group.submit('vm-3');
    calls[0]!.resolve(new Map([['vm-0', { ok: true, value: undefined }]]));
    await flush();
    const error = new VCenterError('no such VM', { type: 'NOT_FOUND', objectId: 'vm-2' });
    calls[1]!.resolve(
      new Map<string, CommitOutcome>([
        ['vm-1', { ok: true, value: undefined }],
        ['vm-2', { ok: false, error }],
      ]),
    );

    await expect(first).resolves.toBeUndefined();
    await expect(ok).resolves.toBeUndefined();
    await expect(refused).rejects.toBe(error);
    await expect(missing).rejects.toMatchObject({
      vapiType: 'UNEXPECTED_RESPONSE',
      objectId: 'vm-3',
    });
  });

  it('a failed call fails the waiters of that call only', async () => {
    const { calls, commit, allOk } = scripted();
    const group = createGroupCommit({ commit });
    const first = group.submit('vm-0');
    const second = group.submit('vm-1');
    const down = new VCenterError('503', { type: 'SERVICE_UNAVAILABLE', status: 503 });
    calls[0]!.reject(down);
    await expect(first).rejects.toBe(down);
    allOk(calls[1]!);
    await expect(second).resolves.toBeUndefined();
  });

  it('returns values per key (a read batch)', async () => {
    const group = createGroupCommit<string[]>({
      commit: (keys) =>
        Promise.resolve(
          new Map(keys.map((k) => [k, { ok: true as const, value: [`tag-of-${k}`] }])),
        ),
    });
    await expect(group.submit('vm-1')).resolves.toEqual(['tag-of-vm-1']);
  });

  it('a waiter that gives up while queued leaves the next batch; the others are not affected', async () => {
    const { calls, commit, allOk } = scripted();
    const group = createGroupCommit({ commit });
    const first = group.submit('vm-0');
    const controller = new AbortController();
    const leaving = group.submit('vm-1', controller.signal);
    const staying = group.submit('vm-2');
    const reason = new Error('deadline');
    controller.abort(reason);

    await expect(leaving).rejects.toBe(reason);
    allOk(calls[0]!);
    await flush();
    expect(calls[1]!.keys).toEqual(['vm-2']);
    allOk(calls[1]!);
    await Promise.all([first, staying]);
  });

  it('a call whose waiters all gave up is aborted, and the next batch goes out without waiting for it', async () => {
    const { calls, commit, allOk } = scripted();
    const abandoned: number[] = [];
    const group = createGroupCommit({
      commit,
      quietMs: 0,
      onAbandon: (size) => abandoned.push(size),
    });
    const a = new AbortController();
    const b = new AbortController();
    const stuck = [group.submit('vm-0', a.signal)];
    const queued = [group.submit('vm-1', b.signal), group.submit('vm-2', b.signal)];
    const later = group.submit('vm-3');
    expect(calls).toHaveLength(1);

    a.abort(new Error('deadline'));
    await expect(stuck[0]).rejects.toThrow('deadline');

    // the abandoned call is aborted at once; the queue goes out without waiting for it
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(calls[0]!.signal.reason).toMatchObject({ vapiType: 'CANCELED' });
    expect(abandoned).toEqual([1]);
    expect(calls.map((c) => c.keys)).toEqual([['vm-0'], ['vm-1', 'vm-2', 'vm-3']]);

    // one of two waiters leaving does not abort a call
    b.abort(new Error('deadline'));
    await Promise.allSettled(queued);
    expect(calls[1]!.signal.aborted).toBe(false);
    allOk(calls[1]!);
    await expect(later).resolves.toBeUndefined();
    expect(group.stats).toMatchObject({ abandoned: 1, inFlight: 0 });
  });

  it('an already aborted signal rejects at once, without a call', async () => {
    const { calls, commit } = scripted();
    const group = createGroupCommit({ commit });
    await expect(group.submit('vm-1', AbortSignal.abort(new Error('late')))).rejects.toThrow(
      'late',
    );
    expect(calls).toHaveLength(0);
  });

  it('a call that stalls past stallMs stops holding the queue: the next batch goes out beside it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { calls, commit, allOk } = scripted();
    const group = createGroupCommit({ commit, stallMs: 1_000, maxInFlight: 2 });
    const stuck = group.submit('vm-0');
    const next = group.submit('vm-1');

    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => c.keys)).toEqual([['vm-0'], ['vm-1']]);
    allOk(calls[1]!);
    await expect(next).resolves.toBeUndefined();

    // at maxInFlight, even stalled calls hold the queue
    const third = group.submit('vm-2');
    const fourth = group.submit('vm-3');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.map((c) => c.keys)).toEqual([['vm-0'], ['vm-1'], ['vm-2']]);
    allOk(calls[0]!);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.at(-1)!.keys).toEqual(['vm-3']);
    for (const call of calls.slice(2)) allOk(call);
    await Promise.all([stuck, third, fourth]);
  });

  it('close() waits for the calls in flight; a submit after close is refused', async () => {
    const { calls, commit, allOk } = scripted();
    const group = createGroupCommit({ commit });
    const pending = group.submit('vm-1');
    let closed = false;
    const closing = group.close().then(() => {
      closed = true;
    });
    await flush();
    expect(closed).toBe(false);
    allOk(calls[0]!);
    await closing;
    await pending;
    await expect(group.submit('vm-2')).rejects.toMatchObject({ vapiType: 'CLIENT_CLOSED' });
  });

  it('refuses a maxBatchSize that is not a whole number >= 1', () => {
    expect(() =>
      createGroupCommit({ commit: () => Promise.resolve(new Map()), maxBatchSize: 0 }),
    ).toThrow(/maxBatchSize/);
  });

  it('an announced event that submits alone goes out at once: no announced sibling, no wait', () => {
    const { calls, commit } = scripted();
    const group = createGroupCommit({ commit });
    const arrival = group.announce();
    void group.submit('vm-1', undefined, arrival);
    expect(calls.map((c) => c.keys)).toEqual([['vm-1']]);
    expect(group.stats.announced).toBe(0);
  });

  it('a batch waits for announced siblings still on their way, and goes once the last arrives or cancels', async () => {
    const { calls, commit, allOk } = scripted();
    const group = createGroupCommit({ commit, quietMs: 0 });
    const [a, b, c] = [group.announce(), group.announce(), group.announce()];

    const first = group.submit('vm-1', undefined, a);
    expect(calls).toHaveLength(0);
    const second = group.submit('vm-2', undefined, b);
    expect(calls).toHaveLength(0);
    c.cancel(); // e.g. skipped as a duplicate by the dedupe guard
    expect(calls.map((call) => call.keys)).toEqual([['vm-1', 'vm-2']]);
    allOk(calls[0]!);
    await Promise.all([first, second]);
  });

  it('waits for announced siblings at most lingerMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { calls, commit, allOk } = scripted();
    const group = createGroupCommit({ commit, lingerMs: 20 });
    group.announce(); // stuck in its guards (a slow Redis)
    const alone = group.submit('vm-1');
    await vi.advanceTimersByTimeAsync(19);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => c.keys)).toEqual([['vm-1']]);
    allOk(calls[0]!);
    await alone;
  });

  it("another batch's arrival passed to submit is cancelled there, so that batch stops waiting", () => {
    const one = scripted();
    const two = scripted();
    const first = createGroupCommit({ commit: one.commit });
    const second = createGroupCommit({ commit: two.commit });
    const arrival = first.announce();
    void first.submit('vm-0');
    expect(one.calls).toHaveLength(0);
    void second.submit('vm-1', undefined, arrival); // the event went elsewhere after all
    expect(one.calls.map((c) => c.keys)).toEqual([['vm-0']]);
    expect(two.calls.map((c) => c.keys)).toEqual([['vm-1']]);
  });
});

describe('createGroupCommit: keys of a burst still arriving', () => {
  it('with two or more keys waiting, the next call goes once none has arrived for quietMs (at most lingerMs)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { calls, commit, allOk } = scripted();
    const group = createGroupCommit({ commit, quietMs: 2, lingerMs: 20 });
    const waiting = [group.submit('vm-0')];
    waiting.push(group.submit('vm-1'), group.submit('vm-2'));
    allOk(calls[0]!);
    await vi.advanceTimersByTimeAsync(1);
    // two keys waiting, the last one just arrived: wait for the quiet
    expect(calls).toHaveLength(1);
    waiting.push(group.submit('vm-3'));
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(calls.map((c) => c.keys)).toEqual([['vm-0'], ['vm-1', 'vm-2', 'vm-3']]);
    allOk(calls[1]!);
    await Promise.all(waiting);

    // a steady trickle cannot hold a batch past lingerMs
    const trickle = [group.submit('vm-10'), group.submit('vm-11'), group.submit('vm-12')];
    allOk(calls[2]!);
    let sentAt: number | undefined;
    for (let t = 0; t < 40 && sentAt === undefined; t += 1) {
      trickle.push(group.submit(`vm-2${t}`));
      await vi.advanceTimersByTimeAsync(1);
      if (calls.length > 3) sentAt = t;
    }
    // one key a millisecond never leaves 2 ms of quiet: the linger bound sends it
    expect(sentAt).toBeGreaterThanOrEqual(18);
    expect(sentAt).toBeLessThanOrEqual(21);
    allOk(calls[3]!);
    await vi.advanceTimersByTimeAsync(50);
    for (const call of calls.slice(4)) allOk(call);
    await Promise.all(trickle);
  });

  it('one key waiting (a serial stream, a lone event) never waits', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { calls, commit, allOk } = scripted();
    const group = createGroupCommit({ commit });
    const first = group.submit('vm-0');
    const second = group.submit('vm-1');
    allOk(calls[0]!);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.keys)).toEqual([['vm-0'], ['vm-1']]);
    allOk(calls[1]!);
    await Promise.all([first, second]);
  });
});

describe('createArrivalGuard', () => {
  it('announces each event as it enters, hands the arrival to the handler, and cancels it when the event settles', async () => {
    const { calls, commit } = scripted();
    const group = createGroupCommit({ commit });
    const guard = createArrivalGuard<object>(() => group.announce());
    const event = {};
    const ctx = { functionName: 'f', delivery: {} as never, logger: {} as never, deadline: 0 };

    const verdict = await guard.enter(event, ctx);
    expect(group.stats.announced).toBe(1);
    expect(guard.arrivalOf(event)).toBeDefined();
    void group.submit('vm-0');
    expect(calls).toHaveLength(0);

    // skipped by a later guard (or failed): the runtime settles this guard, the batch goes
    expect(verdict.action).toBe('proceed');
    await (verdict as { onSuccess(): Promise<void> }).onSuccess();
    expect(group.stats.announced).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it('announces nothing when the announcer throws (e.g. before init) or returns undefined', async () => {
    const ctx = { functionName: 'f', delivery: {} as never, logger: {} as never, deadline: 0 };
    const throwing = createArrivalGuard<object>(() => {
      throw new Error('not ready');
    });
    const event = {};
    await expect(throwing.enter(event, ctx)).resolves.toEqual({ action: 'proceed' });
    expect(throwing.arrivalOf(event)).toBeUndefined();
  });
});
