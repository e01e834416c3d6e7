/**
 * How `createTagAssociations` turns a batch answer into each VM's verdict, over a scripted tagging
 * client (the same cases against vcsim and the /api stand-in are in tag-associations.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  createTagAssociations,
  toRuntimeError,
  VCenterError,
  type AttachManyResult,
  type DetachManyResult,
} from '../src/index.js';

const TAG = 'urn:vmomi:InventoryServiceTag:1:GLOBAL';

function scriptedTagging(options: {
  attachMany?: AttachManyResult | Error;
  detachMany?: DetachManyResult | Error | undefined;
  single?: (vmId: string) => Error | undefined;
}) {
  const calls = { many: [] as string[][], single: [] as string[] };
  const answer = <T>(value: T | Error): Promise<T> =>
    value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
  const one = (vmId: string): Promise<void> => {
    calls.single.push(vmId);
    const error = options.single?.(vmId);
    return error ? Promise.reject(error) : Promise.resolve();
  };
  return {
    calls,
    attachToMany(_tag: string, vmIds: readonly string[]) {
      calls.many.push([...vmIds]);
      return answer(options.attachMany ?? { success: true, messages: [], results: [] });
    },
    detachFromMany(_tag: string, vmIds: readonly string[]) {
      calls.many.push([...vmIds]);
      return answer(options.detachMany);
    },
    attach: (_tag: string, vmId: string) => one(vmId),
    detach: (_tag: string, vmId: string) => one(vmId),
  };
}

const settle = (p: Promise<void>) =>
  p.then(
    () => 'ok',
    (error: unknown) => error,
  );

describe('createTagAssociations: per-VM verdicts', () => {
  it('a VM the batch names as missing is NOT_FOUND with its objectId (400); another refusal is ERROR (502)', async () => {
    const tagging = scriptedTagging({
      attachMany: {
        success: false,
        messages: ['Object vm-9 does not exist', 'Permission denied on vm-8'],
        results: [
          { vmId: 'vm-9', status: 'failed', messages: ['Object vm-9 does not exist'] },
          { vmId: 'vm-8', status: 'failed', messages: ['Permission denied on vm-8'] },
        ],
      },
    });
    const associations = createTagAssociations(tagging);
    const [gone, denied] = await Promise.all([
      settle(associations.attach(TAG, 'vm-9')),
      settle(associations.attach(TAG, 'vm-8')),
    ]);
    expect(gone).toMatchObject({ name: 'VCenterError', vapiType: 'NOT_FOUND', objectId: 'vm-9' });
    expect(toRuntimeError(gone, 'tagging vm-9')).toMatchObject({ name: 'InvalidEventError' });
    expect(denied).toMatchObject({ vapiType: 'ERROR', objectId: 'vm-8', retryable: false });
    expect(toRuntimeError(denied, 'tagging vm-8')).toMatchObject({ name: 'UpstreamRejectedError' });
    expect(tagging.calls.single).toEqual([]);
  });

  it('asks one by one for the VMs a failed batch did not name; a single NOT_FOUND is about the VM', async () => {
    const tagging = scriptedTagging({
      attachMany: {
        success: false,
        messages: ['internal error'],
        results: [{ vmId: 'vm-1', status: 'unknown', messages: ['internal error'] }],
      },
      single: (vmId) =>
        vmId === 'vm-2' ? new VCenterError('404', { type: 'NOT_FOUND', status: 404 }) : undefined,
    });
    // the first call carries vm-1 alone; answer vm-2's call the same way
    const associations = createTagAssociations(tagging);
    expect(await settle(associations.attach(TAG, 'vm-1'))).toBe('ok');
    tagging.attachToMany = () =>
      Promise.resolve({
        success: false,
        messages: ['internal error'],
        results: [{ vmId: 'vm-2', status: 'unknown' as const, messages: ['internal error'] }],
      });
    expect(await settle(associations.attach(TAG, 'vm-2'))).toMatchObject({
      vapiType: 'NOT_FOUND',
      objectId: 'vm-2',
    });
    expect(tagging.calls.single).toEqual(['vm-1', 'vm-2']);
  });

  it('keeps a retryable failure of the single call as it is (503)', async () => {
    const down = new VCenterError('503', { type: 'SERVICE_UNAVAILABLE', status: 503 });
    const tagging = scriptedTagging({
      attachMany: {
        success: false,
        messages: ['x'],
        results: [{ vmId: 'vm-1', status: 'unknown', messages: ['x'] }],
      },
      single: () => down,
    });
    expect(await settle(createTagAssociations(tagging).attach(TAG, 'vm-1'))).toBe(down);
  });

  it('a NOT_FOUND for the whole call means the tag is gone; other failures pass through', async () => {
    const gone = createTagAssociations(
      scriptedTagging({ attachMany: new VCenterError('404', { type: 'NOT_FOUND', status: 404 }) }),
    );
    expect(await settle(gone.attach(TAG, 'vm-1'))).toMatchObject({
      vapiType: 'TAG_NOT_FOUND',
      objectId: undefined,
    });
    const down = new VCenterError('connect ECONNREFUSED', { type: 'NETWORK_ERROR' });
    const unreachable = createTagAssociations(scriptedTagging({ attachMany: down }));
    expect(await settle(unreachable.attach(TAG, 'vm-1'))).toBe(down);
  });

  it('detach: per-VM results of the batch; a server without it (empty answer) gets single calls', async () => {
    const batch = scriptedTagging({
      detachMany: {
        success: false,
        messages: ['Object vm-3 not found'],
        results: [{ vmId: 'vm-3', status: 'failed', messages: ['Object vm-3 not found'] }],
      },
    });
    expect(await settle(createTagAssociations(batch).detach(TAG, 'vm-3'))).toMatchObject({
      vapiType: 'NOT_FOUND',
      objectId: 'vm-3',
    });

    const none = scriptedTagging({ detachMany: undefined });
    const associations = createTagAssociations(none);
    expect(await settle(associations.detach(TAG, 'vm-4'))).toBe('ok');
    expect(await settle(associations.detach(TAG, 'vm-5'))).toBe('ok');
    expect(none.calls).toEqual({ many: [['vm-4']], single: ['vm-4', 'vm-5'] });
    expect(associations.stats.batchDetach).toBe(false);
  });

  it('detach: a 404 on the batch and on the single calls means the tag is gone, and the batch is kept', async () => {
    const notFound = new VCenterError('404', { type: 'NOT_FOUND', status: 404 });
    const tagging = scriptedTagging({ detachMany: notFound, single: () => notFound });
    const associations = createTagAssociations(tagging);
    expect(await settle(associations.detach(TAG, 'vm-6'))).toMatchObject({
      vapiType: 'TAG_NOT_FOUND',
    });
    expect(associations.stats.batchDetach).toBe(true);
  });
});
