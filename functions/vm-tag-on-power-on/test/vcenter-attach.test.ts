import { describe, expect, it } from 'vitest';
import { type AttachManyResult, VCenterError } from '@veba-functions/vcenter';
import { TagMissingError, VmAttachRejectedError } from '../src/errors.js';
import { createVCenterAttachMany } from '../src/vcenter-attach.js';

const TAG_ID = 'urn:vmomi:InventoryServiceTag:1:GLOBAL';

function fakeTagging(
  bulk: AttachManyResult | Error,
  single: (vmId: string) => Error | undefined = () => undefined,
) {
  const calls: { bulk: string[][]; single: string[] } = { bulk: [], single: [] };
  return {
    calls,
    attachToMany(tagId: string, vmIds: readonly string[]): Promise<AttachManyResult> {
      expect(tagId).toBe(TAG_ID);
      calls.bulk.push([...vmIds]);
      return bulk instanceof Error ? Promise.reject(bulk) : Promise.resolve(bulk);
    },
    attach(tagId: string, vmId: string): Promise<void> {
      expect(tagId).toBe(TAG_ID);
      calls.single.push(vmId);
      const error = single(vmId);
      return error ? Promise.reject(error) : Promise.resolve();
    },
  };
}

describe('createVCenterAttachMany', () => {
  it('maps attached VMs to ok with one bulk call', async () => {
    const tagging = fakeTagging({
      success: true,
      messages: [],
      results: [
        { vmId: 'vm-1', status: 'attached', messages: [] },
        { vmId: 'vm-2', status: 'attached', messages: [] },
      ],
    });

    const outcomes = await createVCenterAttachMany(tagging, TAG_ID)(['vm-1', 'vm-2']);

    expect([...outcomes]).toEqual([
      ['vm-1', { ok: true }],
      ['vm-2', { ok: true }],
    ]);
    expect(tagging.calls).toEqual({ bulk: [['vm-1', 'vm-2']], single: [] });
  });

  it('turns a failed VM into VmAttachRejectedError, notFound when vCenter says so', async () => {
    const tagging = fakeTagging({
      success: false,
      messages: ['Object vm-9 does not exist', 'Permission denied on vm-8'],
      results: [
        { vmId: 'vm-9', status: 'failed', messages: ['Object vm-9 does not exist'] },
        { vmId: 'vm-8', status: 'failed', messages: ['Permission denied on vm-8'] },
        { vmId: 'vm-7', status: 'attached', messages: [] },
      ],
    });

    const outcomes = await createVCenterAttachMany(tagging, TAG_ID)(['vm-9', 'vm-8', 'vm-7']);

    const gone = outcomes.get('vm-9');
    const denied = outcomes.get('vm-8');
    expect(gone?.ok === false && gone.error).toBeInstanceOf(VmAttachRejectedError);
    expect(gone?.ok === false && (gone.error as VmAttachRejectedError).notFound).toBe(true);
    expect(denied?.ok === false && (denied.error as VmAttachRejectedError).notFound).toBe(false);
    expect(outcomes.get('vm-7')).toEqual({ ok: true });
    expect(tagging.calls.single).toEqual([]);
  });

  it('asks again one by one for the VMs a failed batch did not name', async () => {
    const notFound = new VCenterError('404 on attach', { type: 'NOT_FOUND', status: 404 });
    const tagging = fakeTagging(
      {
        success: false,
        messages: ['internal error'],
        results: [
          { vmId: 'vm-1', status: 'unknown', messages: ['internal error'] },
          { vmId: 'vm-2', status: 'unknown', messages: ['internal error'] },
        ],
      },
      (vmId) => (vmId === 'vm-2' ? notFound : undefined),
    );

    const outcomes = await createVCenterAttachMany(tagging, TAG_ID)(['vm-1', 'vm-2']);

    expect(tagging.calls.single.sort()).toEqual(['vm-1', 'vm-2']);
    expect(outcomes.get('vm-1')).toEqual({ ok: true });
    const vm2 = outcomes.get('vm-2');
    expect(vm2?.ok === false && vm2.error).toBeInstanceOf(VmAttachRejectedError);
    expect(vm2?.ok === false && (vm2.error as VmAttachRejectedError).notFound).toBe(true);
  });

  it('keeps a retryable failure of the single retry as it is', async () => {
    const down = new VCenterError('503', { type: 'SERVICE_UNAVAILABLE', status: 503 });
    const tagging = fakeTagging(
      {
        success: false,
        messages: ['x'],
        results: [{ vmId: 'vm-1', status: 'unknown', messages: ['x'] }],
      },
      () => down,
    );

    const outcomes = await createVCenterAttachMany(tagging, TAG_ID)(['vm-1']);

    expect(outcomes.get('vm-1')).toEqual({ ok: false, error: down });
  });

  it('a NOT_FOUND for the whole call means the tag is gone', async () => {
    const tagging = fakeTagging(new VCenterError('404', { type: 'NOT_FOUND', status: 404 }));

    await expect(createVCenterAttachMany(tagging, TAG_ID)(['vm-1'])).rejects.toBeInstanceOf(
      TagMissingError,
    );
  });

  it('passes other batch failures through (the retryable flag decides 503)', async () => {
    const down = new VCenterError('connect ECONNREFUSED', { type: 'NETWORK_ERROR' });
    const tagging = fakeTagging(down);

    await expect(createVCenterAttachMany(tagging, TAG_ID)(['vm-1'])).rejects.toBe(down);
    expect(down.retryable).toBe(true);
  });
});
