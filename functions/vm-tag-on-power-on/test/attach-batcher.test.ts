import { describe, expect, it } from 'vitest';
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
});
