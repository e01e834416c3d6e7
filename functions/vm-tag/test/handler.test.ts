import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import {
  deliverToHandler,
  fixtureEvent,
  handlerContext,
  loadVebaFixture,
  type CloudEventInput,
} from '@veba-functions/test-helpers';
import { VCenterError, type AppliedTag, type TagAction } from '@veba-functions/vcenter';
import { fakeTagTarget } from '@veba-functions/vcenter/testing';
import { config, tagSettings, type VmTagConfig } from '../src/config.js';
import type { State } from '../src/handler.js';
import { createVmTag } from '../src/index.js';
import { z } from 'zod';

const TAG = { id: 'urn:vmomi:InventoryServiceTag:22222222-bbbb:GLOBAL', name: 'powered-on' };

/** A target whose apply records its calls and answers as `answers` says, in order. */
const fakeTarget = (answers: Array<Error | Partial<AppliedTag> | undefined> = []) =>
  fakeTagTarget(TAG, answers);

const definition = createVmTag();

/** What the runtime does with one delivery: parse once, then the handler; errors become statuses. */
const deliver = (input: CloudEventInput, target: State['target'], action: TagAction) =>
  deliverToHandler(
    definition,
    new CloudEvent<unknown>(input, false),
    handlerContext<State, VmTagConfig>({
      state: { target, action, arrivalOf: () => undefined } as unknown as State,
      config: {} as VmTagConfig,
    }),
  );

const powerOn = (): CloudEventInput => fixtureEvent('kn-pcli-tag__test-payload.json');
const powerOff = (): CloudEventInput => fixtureEvent('kn-ps-slack__test-payload.json');

describe('vm-tag handle(event, ctx)', () => {
  const events: Array<[string, () => CloudEventInput, TagAction, string, string | undefined]> = [
    ['attach on a DRS power-on (kn-pcli-tag)', powerOn, 'attach', 'vm-11099', 'REPLACE-ME'],
    ['detach on a power-off (kn-ps-slack)', powerOff, 'detach', 'vm-7114', 'Test'],
    [
      'detach on a power-off (tanzu-sources README)',
      () => fixtureEvent('docs-extracted/tanzu-sources-for-knative-README__VmPoweredOffEvent.json'),
      'detach',
      'vm-57',
      'DC0_H0_VM0',
    ],
    [
      'detach on a legacy router power-off (kn-ps-echo)',
      () => fixtureEvent('kn-ps-echo__test-payload.json'),
      'detach',
      'vm-11099',
      'K8s-User-Group-Test',
    ],
    [
      'attach on a structured power-on (kn-py-vm-attr)',
      () => fixtureEvent('kn-py-vm-attr__testevent.json'),
      'attach',
      'vm-596',
      'TestVM',
    ],
  ];

  it.each(events)('%s', async (_name, make, action, vm, vmName) => {
    const { target, calls } = fakeTarget();
    const answer = await deliver(make(), target, action);
    expect(calls).toEqual([[action, vm]]);
    expect(answer.result).toEqual({
      status: 200,
      body: { vm, vmName, action, tag: TAG.name, tagId: TAG.id, tagExists: true },
    });
    expect(answer.logs[0]).toMatch(
      action === 'attach'
        ? `attached tag ${TAG.name} to ${vm}`
        : `detached tag ${TAG.name} from ${vm}`,
    );
  });

  it('skips an event that names no VM (host maintenance), without a vCenter call', async () => {
    const { target, calls } = fakeTarget();
    const answer = await deliver(
      fixtureEvent('kn-pcli-hostmaint-alarms__enter-maint-payload.json'),
      target,
      'detach',
    );
    expect(answer.result).toEqual({ skipped: 'EnteredMaintenanceModeEvent names no VM' });
    expect(calls).toEqual([]);
  });

  it('skips a type that is not a vSphere event before reading data', async () => {
    const { target, calls } = fakeTarget();
    const answer = await deliver(
      { ...powerOn(), type: 'dev.knative.sources.ping' },
      target,
      'attach',
    );
    expect(answer.result).toMatchObject({
      skipped: expect.stringMatching(/not a vSphere event type/) as string,
    });
    expect(calls).toEqual([]);
  });

  it.each([
    ['Vm.Vm null (openfaas invalid-event-2)', { Vm: { Vm: null } }, /data\.Vm\.Vm is missing/],
    [
      'a host where the VM should be',
      { Vm: { Name: 'esx', Vm: { Type: 'HostSystem', Value: 'host-1' } } },
      /HostSystem/,
    ],
    [
      'a moref that is not a managed object id',
      { Vm: { Name: 'x', Vm: { Type: 'VirtualMachine', Value: '../x' } } },
      /not a valid managed object id/,
    ],
  ])('a VM reference that is there but unusable -> 400: %s', async (_name, data, reason) => {
    const { target, calls } = fakeTarget();
    const answer = await deliver(
      { ...powerOff(), data: { ...(powerOff().data as object), ...data } },
      target,
      'detach',
    );
    expect(answer.status).toBe(400);
    expect((answer.error as Error).message).toMatch(reason);
    expect(calls).toEqual([]);
  });

  it('a detach of a tag that no longer exists in vCenter is a success with tagExists false', async () => {
    const { target } = fakeTarget([{ tagExists: false }]);
    const answer = await deliver(powerOff(), target, 'detach');
    expect(answer.result).toMatchObject({ status: 200, body: { tagExists: false } });
  });

  it.each([
    [
      'the VM is gone (per-VM NOT_FOUND)',
      new VCenterError('gone', { type: 'NOT_FOUND', objectId: 'vm-7114' }),
      400,
    ],
    ['vCenter unreachable', new VCenterError('down', { type: 'NETWORK_ERROR' }), 503],
    [
      'the tag deleted and not found again',
      new VCenterError('gone', { type: 'TAG_NOT_FOUND', retryable: false }),
      502,
    ],
    ['no privilege', new VCenterError('403', { type: 'UNAUTHORIZED', status: 403 }), 502],
  ])('%s', async (_name, error, status) => {
    const { target } = fakeTarget([error]);
    const answer = await deliver(powerOff(), target, 'detach');
    expect(answer.status).toBe(status);
    if (status === 400)
      expect(answer.logs).toEqual(['vm-7114 does not exist in vCenter (untagging vm-7114)']);
  });
});

describe('tagSettings: the tag and the action from VEBA keys', () => {
  const shape = z.object(config);
  const base = { VCENTER_SERVER: 'vc', VCENTER_USERNAME: 'u', VCENTER_PASSWORD: 'p' };

  it("takes kn-go-tagging's TAG_NAME and TAG_ACTION; VCENTER_TAG_NAME wins over TAG_NAME", () => {
    expect(tagSettings(shape.parse({ ...base, TAG_NAME: 'on', TAG_ACTION: 'Detach' }))).toEqual({
      action: 'detach',
      target: { tagName: 'on', category: undefined, createIfMissing: false },
    });
    expect(
      tagSettings(
        shape.parse({
          ...base,
          TAG_NAME: 'go',
          VCENTER_TAG_NAME: 'pcli',
          VCENTER_TAG_CATEGORY: 'c',
        }),
      ),
    ).toEqual({
      action: 'attach',
      target: { tagName: 'pcli', category: 'c', createIfMissing: false },
    });
  });

  it('names both keys when the tag is missing, and refuses an action other than attach or detach', () => {
    expect(() => tagSettings(shape.parse(base))).toThrow(
      /VCENTER_TAG_NAME: missing \(looked in VCENTER_TAG_NAME and TAG_NAME/,
    );
    expect(shape.safeParse({ ...base, TAG_ACTION: 'toggle' }).success).toBe(false);
  });

  it('reads the JSON secret variables VEBA users have: VCENTER_SECRET and TAG_SECRET', () => {
    expect(definition.secretVariables).toEqual(['VCENTER_SECRET', 'TAG_SECRET']);
  });
});

describe('the corpus samples that carry a VM are all accepted', () => {
  it('every valid sample naming a VM reaches the tag target, and none answers 500', async () => {
    const samples = [
      'kn-pcli-tag__test-payload.json',
      'kn-ps-slack__test-payload.json',
      'kn-py-echo__testevent.json',
    ];
    for (const file of samples) {
      const { target, calls } = fakeTarget();
      const answer = await deliver(fixtureEvent(file), target, 'attach');
      expect({ file, status: answer.status }).toEqual({ file, status: 200 });
      expect(calls, file).toHaveLength(1);
    }
    const broken = loadVebaFixture('kn-pcli-template__test-payload.json');
    const { target } = fakeTarget();
    const answer = await deliver({ ...powerOn(), data: broken.body }, target, 'attach');
    expect(answer.status).toBe(400);
  });
});
