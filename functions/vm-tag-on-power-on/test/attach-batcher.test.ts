import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type AttachMany,
  type AttachOutcome,
  MissingAttachResultError,
  createAttachBatcher,
} from '../src/attach-batcher.js';

/** A fake bulk attach: records every call; VMs listed in `failVms` fail on their own. */
function createFakeAttachMany(
  opts: { failVms?: Record<string, Error>; failBatch?: Error; omit?: string[] } = {},
): AttachMany & { calls: string[][] } {
  const calls: string[][] = [];
  const fn = (vmIds: readonly string[]): Promise<ReadonlyMap<string, AttachOutcome>> => {
    calls.push([...vmIds]);
    if (opts.failBatch) return Promise.reject(opts.failBatch);
    const results = new Map<string, AttachOutcome>();
    for (const id of vmIds) {
      if (opts.omit?.includes(id)) continue;
      const error = opts.failVms?.[id];
      results.set(id, error ? { ok: false, error } : { ok: true });
    }
    return Promise.resolve(results);
  };
  return Object.assign(fn, { calls });
}

describe('createAttachBatcher', () => {
  it('coalesces requests arriving within the window into one bulk call', async () => {
    const attachMany = createFakeAttachMany();
    const sizes: number[] = [];
    const batcher = createAttachBatcher({
      attachMany,
      windowMs: 20,
      onBatch: (n) => sizes.push(n),
    });

    const ids = Array.from({ length: 50 }, (_, i) => `vm-${i + 1}`);
    await Promise.all(ids.map((id) => batcher.attach(id)));

    expect(attachMany.calls).toHaveLength(1);
    expect(attachMany.calls[0]).toEqual(ids);
    expect(sizes).toEqual([50]);
  });

  it('sends every request on its own when the window is 0', async () => {
    const attachMany = createFakeAttachMany();
    const batcher = createAttachBatcher({ attachMany, windowMs: 0 });

    await Promise.all([batcher.attach('vm-1'), batcher.attach('vm-2'), batcher.attach('vm-3')]);

    expect(attachMany.calls).toEqual([['vm-1'], ['vm-2'], ['vm-3']]);
  });

  it('splits at the maximum batch size', async () => {
    const attachMany = createFakeAttachMany();
    const batcher = createAttachBatcher({ attachMany, windowMs: 1_000, maxBatchSize: 10 });

    const ids = Array.from({ length: 25 }, (_, i) => `vm-${i}`);
    const all = Promise.all(ids.map((id) => batcher.attach(id)));
    batcher.flush(); // the last 5 would otherwise wait for the long window
    await all;

    expect(attachMany.calls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(attachMany.calls.flat()).toEqual(ids);
  });

  it('sends a VM requested twice in one batch once and answers both callers', async () => {
    const attachMany = createFakeAttachMany();
    const batcher = createAttachBatcher({ attachMany, windowMs: 20 });

    await Promise.all([batcher.attach('vm-42'), batcher.attach('vm-43'), batcher.attach('vm-42')]);

    expect(attachMany.calls).toEqual([['vm-42', 'vm-43']]);
  });

  it("fails only the caller whose VM failed, with that VM's error", async () => {
    const vmError = new Error('vm-2 not found');
    const attachMany = createFakeAttachMany({ failVms: { 'vm-2': vmError } });
    const batcher = createAttachBatcher({ attachMany, windowMs: 20 });

    const results = await Promise.allSettled([
      batcher.attach('vm-1'),
      batcher.attach('vm-2'),
      batcher.attach('vm-3'),
    ]);

    expect(attachMany.calls).toHaveLength(1);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBe(vmError);
  });

  it('fails every caller of a batch with the same error when the bulk call fails', async () => {
    const batchError = Object.assign(new Error('vCenter unavailable'), { retryable: true });
    const attachMany = createFakeAttachMany({ failBatch: batchError });
    const batcher = createAttachBatcher({ attachMany, windowMs: 20 });

    const results = await Promise.allSettled([batcher.attach('vm-1'), batcher.attach('vm-2')]);

    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as unknown) : r.value))).toEqual(
      [batchError, batchError],
    );
  });

  it('rejects a caller whose VM is missing from the per-VM results', async () => {
    const attachMany = createFakeAttachMany({ omit: ['vm-2'] });
    const batcher = createAttachBatcher({ attachMany, windowMs: 0 });

    await expect(batcher.attach('vm-2')).rejects.toBeInstanceOf(MissingAttachResultError);
  });

  it('drops an aborted caller from a batch not sent yet', async () => {
    const attachMany = createFakeAttachMany();
    const batcher = createAttachBatcher({ attachMany, windowMs: 20 });
    const controller = new AbortController();

    const aborted = batcher.attach('vm-1', controller.signal);
    const kept = batcher.attach('vm-2');
    controller.abort(new Error('deadline'));

    await expect(aborted).rejects.toThrow('deadline');
    await kept;
    expect(attachMany.calls).toEqual([['vm-2']]);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const attachMany = createFakeAttachMany();
    const batcher = createAttachBatcher({ attachMany, windowMs: 20 });

    await expect(batcher.attach('vm-1', AbortSignal.abort(new Error('late')))).rejects.toThrow(
      'late',
    );
    await batcher.close();
    expect(attachMany.calls).toEqual([]);
  });

  it('close() sends the pending batch and waits for it', async () => {
    const attachMany = createFakeAttachMany();
    const batcher = createAttachBatcher({ attachMany, windowMs: 60_000 });

    const pending = batcher.attach('vm-7');
    await batcher.close();

    await pending;
    expect(attachMany.calls).toEqual([['vm-7']]);
  });

  it('starts a new batch for requests arriving after a batch was sent', async () => {
    const attachMany = createFakeAttachMany();
    const batcher = createAttachBatcher({ attachMany, windowMs: 10 });

    await batcher.attach('vm-1');
    await batcher.attach('vm-1');

    expect(attachMany.calls).toEqual([['vm-1'], ['vm-1']]);
  });

  describe('the quiet window', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('keeps a burst that trickles in with gaps shorter than the window in one batch', async () => {
      vi.useFakeTimers();
      const attachMany = createFakeAttachMany();
      const batcher = createAttachBatcher({ attachMany, windowMs: 50, maxWaitMs: 1_000 });

      const all: Array<Promise<void>> = [];
      for (let i = 0; i < 10; i += 1) {
        all.push(batcher.attach(`vm-${i}`));
        await vi.advanceTimersByTimeAsync(40); // 400 ms in all, never 50 ms quiet
      }
      const beforeQuiet = attachMany.calls.length;
      await vi.advanceTimersByTimeAsync(50);
      await Promise.all(all);

      expect(beforeQuiet).toBe(0);
      expect(attachMany.calls).toHaveLength(1);
      expect(attachMany.calls[0]).toHaveLength(10);
    });

    it('sends once the oldest request has waited maxWaitMs, even while VMs keep joining', async () => {
      vi.useFakeTimers();
      const attachMany = createFakeAttachMany();
      const batcher = createAttachBatcher({ attachMany, windowMs: 50, maxWaitMs: 100 });

      const all: Array<Promise<void>> = [];
      for (let i = 0; i < 10; i += 1) {
        all.push(batcher.attach(`vm-${i}`));
        await vi.advanceTimersByTimeAsync(30);
      }
      await vi.advanceTimersByTimeAsync(50);
      await Promise.all(all);

      // 300 ms of arrivals, 100 ms at most per batch: vm-0..vm-3 | vm-4..vm-7 | vm-8, vm-9
      expect(attachMany.calls.map((c) => c.length)).toEqual([4, 4, 2]);
    });
  });

  describe('while a bulk call is in flight', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** A bulk attach whose calls stay open until released; `open()` also lets later calls through. */
    function heldAttachMany(): AttachMany & { calls: string[][]; release(): void; open(): void } {
      const calls: string[][] = [];
      const held: Array<() => void> = [];
      let opened = false;
      const fn = (vmIds: readonly string[]): Promise<ReadonlyMap<string, AttachOutcome>> => {
        calls.push([...vmIds]);
        const result = new Map(vmIds.map((id) => [id, { ok: true as const }]));
        if (opened) return Promise.resolve(result);
        return new Promise((resolve) => held.push(() => resolve(result)));
      };
      const release = (): void => held.splice(0).forEach((r) => r());
      return Object.assign(fn, {
        calls,
        release,
        open: () => {
          opened = true;
          release();
        },
      });
    }

    it('requests whose window passed wait for it and then go as one batch', async () => {
      vi.useFakeTimers();
      const attachMany = heldAttachMany();
      const batcher = createAttachBatcher({ attachMany, windowMs: 5 });

      const first = batcher.attach('vm-1');
      await vi.advanceTimersByTimeAsync(10); // vm-1's call is in flight
      const later = ['vm-2', 'vm-3', 'vm-4'].map((id) => batcher.attach(id));
      await vi.advanceTimersByTimeAsync(10); // their window has passed too, but the call slot is busy
      const whileHeld = attachMany.calls.map((c) => [...c]);
      attachMany.open();
      await Promise.all([first, ...later]);

      expect(whileHeld).toEqual([['vm-1']]);
      expect(attachMany.calls).toEqual([['vm-1'], ['vm-2', 'vm-3', 'vm-4']]);
    });

    it('a full batch does not wait', async () => {
      const attachMany = heldAttachMany();
      const batcher = createAttachBatcher({ attachMany, windowMs: 5, maxBatchSize: 2 });

      const all = ['vm-1', 'vm-2', 'vm-3', 'vm-4'].map((id) => batcher.attach(id));
      const sentAtOnce = attachMany.calls.length;
      attachMany.open();
      await Promise.all(all);

      expect(sentAtOnce).toBe(2);
    });

    it('maxConcurrentCalls lets more calls run side by side', async () => {
      vi.useFakeTimers();
      const attachMany = heldAttachMany();
      const batcher = createAttachBatcher({ attachMany, windowMs: 5, maxConcurrentCalls: 2 });

      const first = batcher.attach('vm-1');
      await vi.advanceTimersByTimeAsync(10);
      const second = batcher.attach('vm-2');
      await vi.advanceTimersByTimeAsync(10);
      const inFlightTogether = attachMany.calls.length;
      attachMany.open();
      await Promise.all([first, second]);

      expect(inFlightTogether).toBe(2);
    });

    it('close() waits for the batch held behind a call in flight', async () => {
      vi.useFakeTimers();
      const attachMany = heldAttachMany();
      const batcher = createAttachBatcher({ attachMany, windowMs: 5 });
      const first = batcher.attach('vm-1');
      await vi.advanceTimersByTimeAsync(10);
      const second = batcher.attach('vm-2');
      let closed = false;

      const closing = batcher.close().then(() => {
        closed = true;
      });
      await vi.advanceTimersByTimeAsync(10);
      const closedWhileHeld = closed;
      attachMany.open();
      await closing;

      await Promise.all([first, second]);
      expect(closedWhileHeld).toBe(false);
      expect(attachMany.calls).toEqual([['vm-1'], ['vm-2']]);
    });

    it('a timer firing late (busy process) is not a quiet period: the batch waits one more window', async () => {
      vi.useFakeTimers();
      const attachMany = heldAttachMany();
      attachMany.open();
      const batcher = createAttachBatcher({ attachMany, windowMs: 100, maxWaitMs: 1_000 });

      const first = batcher.attach('vm-1');
      vi.setSystemTime(Date.now() + 300); // the clock moves on while no timer could run
      await vi.advanceTimersByTimeAsync(100); // the timer fires 300 ms late
      const sentAfterLateTimer = attachMany.calls.length;
      const second = batcher.attach('vm-2'); // read only now
      await vi.advanceTimersByTimeAsync(100);
      await Promise.all([first, second]);

      expect(sentAfterLateTimer).toBe(0);
      expect(attachMany.calls).toEqual([['vm-1', 'vm-2']]);
    });
  });
});
