/**
 * vm-owner-tag over HTTP with real Redis and vcsim: real vcsim clones and creates reach it through
 * the VEBA source emulator and the new VMs end up tagged with their owner; owner tags are created
 * once even by racing replicas; an existing owner is kept or replaced.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  functionReadmeProblems,
  sendCloudEvent,
  type CloudEventInput,
  type TestFunction,
} from '@veba-functions/test-helpers';
import {
  burstMeetingACallInFlight,
  useVCenterHarness,
  vcenterRequests,
} from '@veba-functions/vcenter/testing';
import { createVmOwnerTag } from '../src/index.js';

const h = useVCenterHarness();

const start = (variables = h.env()): Promise<TestFunction> =>
  h.start(createVmOwnerTag(), variables);

/** The recorded vcsim VmCreatedEvent (test/fixtures), for another VM, user and Key. */
function created(vm: string, user: string, key: number): CloudEventInput {
  const event = JSON.parse(
    readFileSync(new URL('./fixtures/vcsim-create__VmCreatedEvent.json', import.meta.url), 'utf8'),
  ) as CloudEventInput;
  return {
    ...event,
    id: String(key),
    data: {
      ...(event.data as object),
      Key: key,
      UserName: user,
      Vm: { Name: vm, Vm: { Type: 'VirtualMachine', Value: vm } },
    },
  };
}

/** The names of the owner tags on a VM, read through vCenter. */
async function ownersOf(vm: string, category = 'Owner'): Promise<string[]> {
  const owner = await h.admin.tagging.findCategory(category);
  const names: string[] = [];
  for (const id of await h.admin.tagging.listAttachedTags(vm)) {
    const tag = await h.admin.tagging.getTag(id);
    if (tag !== undefined && tag.categoryId === owner?.id) names.push(tag.name);
  }
  return names.sort();
}

describe('vm-owner-tag over HTTP (Redis + vcsim)', () => {
  it('end to end on real events: a vcsim clone by CORP\\alice tags the clone "alice", not its source; the category is created single-cardinality for VMs', async () => {
    const fn = await start();
    await h.withSinks([fn.url], async () => {
      const result = await h.vcsim.actions.clone('DC0_H0_VM0', 'web-07', { user: 'CORP\\alice' });

      const clone = result.vm!.moref;
      expect(result.events.map((e) => e.eventType)).toContain('VmBeingClonedEvent');
      expect(result.deliveries.every((d) => d.status === 200)).toBe(true);
      expect(await ownersOf(clone)).toEqual(['alice']);
      expect(await ownersOf(h.vcsim.inventory.vms['DC0_H0_VM0']!)).toEqual([]);
      expect(await h.admin.tagging.findCategory('Owner')).toMatchObject({
        cardinality: 'SINGLE',
        associableTypes: ['VirtualMachine'],
      });
      // VmCreatedEvent and VmClonedEvent name the same clone: one attach, the other unchanged or stale
      expect(await vcenterRequests(fn, 'tag.attach_many')).toBe(1);
    });
  });

  it('end to end: a VM created by a service account is owned by whom OWNER_USER_MAP names', async () => {
    const fn = await start(
      h.env({ OWNER_USER_MAP: JSON.stringify({ 'svc-terraform': 'CORP\\carol' }) }),
    );
    await h.withSinks([fn.url], async () => {
      const result = await h.vcsim.actions.create('db-01', { user: 'svc-terraform@corp.local' });
      expect(await ownersOf(result.vm!.moref)).toEqual(['carol']);
    });
  });

  it('two replicas creating the same new owner tag at once: one tag, both VMs owned by it', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const answers = await Promise.all([
      sendCloudEvent(a.url, created('vm-9101', 'CORP\\dave', 700_001)),
      sendCloudEvent(b.url, created('vm-9102', 'dave@corp.local', 700_002)),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect((await h.admin.tagging.findTagsByName('dave')).length).toBe(1);
    expect(await ownersOf('vm-9101')).toEqual(['dave']);
    expect(await ownersOf('vm-9102')).toEqual(['dave']);
  });

  it('a VM that already has an owner keeps it; with OWNER_TAG_REPLACE=true it gets the new one', async () => {
    const keep = await start();
    await sendCloudEvent(keep.url, created('vm-9201', 'CORP\\erin', 710_001));
    const second = await sendCloudEvent(keep.url, created('vm-9201', 'CORP\\frank', 710_002));
    expect(second.json()).toMatchObject({ owner: 'erin', result: 'kept' });
    expect(await ownersOf('vm-9201')).toEqual(['erin']);

    const replace = await start(h.env({ OWNER_TAG_REPLACE: 'true' }));
    const third = await sendCloudEvent(replace.url, created('vm-9201', 'CORP\\frank', 710_003));
    expect(third.json()).toMatchObject({ owner: 'frank', result: 'replaced' });
    expect(await ownersOf('vm-9201')).toEqual(['frank']);
  });

  it('a redelivery is a duplicate; an older event for the same VM is stale', async () => {
    const fn = await start();
    const event = created('vm-9301', 'CORP\\gina', 720_010);
    await sendCloudEvent(fn.url, event);
    expect((await sendCloudEvent(fn.url, event)).json()).toEqual({
      skipped: 'duplicate: the same event was already processed',
    });
    expect(
      (await sendCloudEvent(fn.url, created('vm-9301', 'CORP\\hank', 720_005))).json(),
    ).toMatchObject({
      skipped: expect.stringMatching(/^stale/) as string,
    });
  });

  it('vCenter calls per event: 2 in steady state (read + attach); a burst of 50 new VMs by one user meeting a call in flight costs at most 6', async () => {
    const fn = await start();
    await sendCloudEvent(fn.url, created('vm-9400', 'CORP\\ivan', 730_000)); // creates the tag
    const before = await vcenterRequests(fn);
    for (let i = 1; i <= 5; i += 1)
      await sendCloudEvent(fn.url, created(`vm-940${i}`, 'CORP\\ivan', 730_000 + i));
    expect((await vcenterRequests(fn)) - before).toBe(10);

    const vms = Array.from({ length: 50 }, (_, i) => `vm-95${String(i).padStart(2, '0')}`);
    const { answers, calls } = await burstMeetingACallInFlight(
      fn,
      h.vcsim,
      vms.map((vm, i) => created(vm, 'CORP\\ivan', 731_000 + i)),
    );
    console.log(
      `vm-owner-tag: a burst of 50 new VMs by one user cost ${calls} vCenter call(s): ${await vcenterRequests(fn, 'tag.list_attached_many')} reads, ${await vcenterRequests(fn, 'tag.attach_many')} attaches in all`,
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(calls).toBeLessThanOrEqual(6);
    const tags = await h.admin.tagging.listAttachedTagsOnVms(vms);
    const ivan = (await h.admin.tagging.findTagsByName('ivan'))[0]!;
    expect(vms.filter((vm) => !tags.get(vm)?.includes(ivan.id))).toEqual([]);
  });

  it('its README has the sections of every function and documents exactly its keys', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    expect(functionReadmeProblems(dir, createVmOwnerTag())).toEqual([]);
  });
});
