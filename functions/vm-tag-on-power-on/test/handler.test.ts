import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import {
  deliverToHandler,
  fixtureEvent,
  handlerContext,
  loadVebaFixture,
  type CloudEventInput,
} from '@veba-functions/test-helpers';
import { VCenterError } from '@veba-functions/vcenter';
import { fakeTagTarget } from '@veba-functions/vcenter/testing';
import type { VSphereEvent } from '@veba-functions/vsphere-events';
import type { VmTagOnPowerOnConfig } from '../src/config.js';
import { handle, type State } from '../src/handler.js';
import { createVmTagOnPowerOn } from '../src/index.js';

const TAG = { id: 'urn:vmomi:InventoryServiceTag:11111111-aaaa:GLOBAL', name: 'powered-on' };
const DRS = 'com.vmware.vsphere.DrsVmPoweredOnEvent.v0';
const VM_ON = 'com.vmware.vsphere.VmPoweredOnEvent.v0';
const LEGACY = 'com.vmware.event.router/event';

function context(target: State['target']) {
  return handlerContext<State, VmTagOnPowerOnConfig>({
    state: { target, arrivalOf: () => undefined } as unknown as State,
    config: {} as VmTagOnPowerOnConfig,
  });
}

const definition = createVmTagOnPowerOn();
/** The definition's own parse step: the same parse the runtime runs once per delivery. */
function parse(event: CloudEvent<unknown>) {
  if (definition.parse === undefined) throw new Error('vm-tag-on-power-on has no parse step');
  return definition.parse(event);
}

/** What the runtime does with one delivery: parse once, then the handler; errors become statuses. */
const deliver = (input: CloudEventInput, target: State['target']) =>
  deliverToHandler(definition, new CloudEvent<unknown>(input, false), context(target));

/** A target whose apply records its calls and fails as `fail` says, in order. */
const fakeTarget = (fail: Array<Error | undefined> = []) => fakeTagTarget(TAG, fail);

/** A corpus body that has no CloudEvent attributes of its own, sent as the broker would. */
function body(file: string, attributes: Partial<CloudEventInput> = {}): CloudEventInput {
  return {
    specversion: '1.0',
    id: 'd70079f9-fddd-4b7f-aa76-1193f28b0611',
    source: 'https://vcenter.local/sdk',
    type: DRS,
    datacontenttype: 'application/json',
    data: loadVebaFixture(file).data,
    ...attributes,
  };
}

const pcliTag = (): CloudEventInput => fixtureEvent('kn-pcli-tag__test-payload.json');

describe('vm-tag-on-power-on handle(event, ctx): power-ons from the VEBA samples', () => {
  const powerOns: Array<[string, () => CloudEventInput, string, string | undefined]> = [
    ['kn-pcli-tag (binary mode, DRS)', pcliTag, 'vm-11099', 'REPLACE-ME'],
    [
      'kn-pcli-tag as VmPoweredOnEvent',
      () => ({ ...pcliTag(), type: VM_ON }),
      'vm-11099',
      'REPLACE-ME',
    ],
    [
      'kn-pcli-tag via the legacy router (subject DrsVmPoweredOnEvent)',
      () => ({ ...pcliTag(), type: LEGACY, subject: 'DrsVmPoweredOnEvent' }),
      'vm-11099',
      'REPLACE-ME',
    ],
    [
      'kn-pcli-tag via the legacy router (subject VmPoweredOnEvent)',
      () => ({ ...pcliTag(), type: LEGACY, subject: 'VmPoweredOnEvent' }),
      'vm-11099',
      'REPLACE-ME',
    ],
    [
      'kn-py-vm-attr (structured)',
      () => fixtureEvent('kn-py-vm-attr__testevent.json'),
      'vm-596',
      'TestVM',
    ],
    [
      'docs: intro-tanzu-sources (Sockeye dump)',
      () => fixtureEvent('docs-extracted/docs-intro-tanzu-sources__DrsVmPoweredOnEvent.json'),
      'vm-81',
      'vm1',
    ],
    [
      'docs: use-eventspec',
      () => fixtureEvent('docs-extracted/docs-use-eventspec__DrsVmPoweredOnEvent.json'),
      'vm-2073',
      'workload1',
    ],
    [
      'openfaas tagging valid-event-2 (only data.Vm)',
      () => body('legacy/openfaas-vm-reconfig-via-tag__valid-event-2.json', { type: VM_ON }),
      'vm-2',
      undefined,
    ],
    [
      'kn-go-tagging event2 body as a power-on',
      () => body('kn-go-tagging__event2.json'),
      'vm-60',
      'test-01',
    ],
  ];

  it.each(powerOns)(
    '%s: attaches the tag to the VM the event names',
    async (_name, make, vmId, vmName) => {
      const { target, calls } = fakeTarget();

      const answer = await deliver(make(), target);

      expect(calls).toEqual([['attach', vmId]]);
      expect(answer.result).toEqual({
        status: 200,
        body: { vm: vmId, vmName, tag: TAG.name, tagId: TAG.id },
      });
      expect(answer.logs).toEqual([`attached tag ${TAG.name} to ${vmId} (${vmName ?? 'unnamed'})`]);
    },
  );
});

describe('other event classes are skipped by the parser, before the handler', () => {
  const others: Array<[string, () => CloudEventInput]> = [
    ['kn-py-echo VmPoweredOffEvent', () => fixtureEvent('kn-py-echo__testevent.json')],
    [
      'kn-ps-echo legacy router VmPoweredOffEvent',
      () => fixtureEvent('kn-ps-echo__test-payload.json'),
    ],
    ['kn-ps-slack VmPoweredOffEvent', () => fixtureEvent('kn-ps-slack__test-payload.json')],
    ['kn-pcli-nsx-tag-sync EventEx', () => fixtureEvent('kn-pcli-nsx-tag-sync__test-payload.json')],
    [
      'a PingSource event',
      () => body('kn-pcli-snapshot-cron__test-payload.json', { type: 'dev.knative.sources.ping' }),
    ],
  ];

  it.each(others)('%s -> 200 skipped, no vCenter call', async (_name, make) => {
    const { target, calls } = fakeTarget();
    const answer = await deliver(make(), target);
    expect(answer.status).toBe(200);
    expect(answer.result).toMatchObject({ skipped: expect.any(String) as string });
    expect(calls).toEqual([]);
  });

  it('a power-off body that reaches it with a power-on type is handled as the type says (the type is what the Trigger selected)', async () => {
    const { target, calls } = fakeTarget();
    await deliver({ ...fixtureEvent('kn-ps-slack__test-payload.json'), type: DRS }, target);
    expect(calls).toHaveLength(1);
  });
});

describe('malformed power-ons -> 400 with the reason, never 500', () => {
  const malformed: Array<[string, () => CloudEventInput, RegExp]> = [
    [
      'kn-go-tagging eventErr1 (null moref)',
      () => body('kn-go-tagging__eventErr1.json'),
      /data\.Vm\.Vm\.Value is missing/,
    ],
    [
      'kn-go-tagging eventErr2 (nested data, Vm.Vm null)',
      () => body('kn-go-tagging__eventErr2.json'),
      /data\.Vm is missing/,
    ],
    [
      'kn-go-tagging eventErr3 (Vm null)',
      () => body('kn-go-tagging__eventErr3.json', { type: VM_ON }),
      /data\.Vm is missing/,
    ],
    [
      'kn-go-tagging eventErr4 (nested data null)',
      () => body('kn-go-tagging__eventErr4.json', { type: VM_ON }),
      /data\.Vm is missing/,
    ],
    [
      'openfaas invalid-event-2 (Vm.Vm null)',
      () => body('legacy/openfaas-vm-reconfig-via-tag__invalid-event-2.json'),
      /data\.Vm\.Vm is missing/,
    ],
    [
      'kn-pcli-template body (not valid JSON) as a power-on',
      () => ({
        ...body('kn-pcli-tag__test-payload.json'),
        data: loadVebaFixture('kn-pcli-template__test-payload.json').body,
      }),
      /not valid JSON/,
    ],
    [
      'Vm naming a host',
      () => ({
        ...pcliTag(),
        data: {
          ...(pcliTag().data as object),
          Vm: { Name: 'esx', Vm: { Type: 'HostSystem', Value: 'host-11' } },
        },
      }),
      /data\.Vm\.Vm\.Type is 'HostSystem'/,
    ],
    [
      'a moref that is not a managed object id',
      () => ({
        ...pcliTag(),
        data: {
          ...(pcliTag().data as object),
          Vm: { Name: 'x', Vm: { Type: 'VirtualMachine', Value: '../../session' } },
        },
      }),
      /not a valid managed object id/,
    ],
    [
      'a legacy router event without subject',
      () => ({ ...pcliTag(), type: LEGACY }),
      /subject is missing/,
    ],
  ];

  it.each(malformed)('%s', async (_name, make, reason) => {
    const { target, calls } = fakeTarget();
    const answer = await deliver(make(), target);
    expect(answer.status).toBe(400);
    expect((answer.error as Error).message).toMatch(reason);
    expect(calls).toEqual([]);
  });
});

describe('vCenter answers, mapped by toRuntimeError', () => {
  const cases: Array<[string, Error, number]> = [
    [
      'the VM no longer exists (per-VM NOT_FOUND)',
      new VCenterError('vCenter refused to attach: Object vm-11099 not found', {
        type: 'NOT_FOUND',
        objectId: 'vm-11099',
      }),
      400,
    ],
    [
      'vCenter refuses this VM for another reason',
      new VCenterError('not authorized', { type: 'ERROR', retryable: false, objectId: 'vm-11099' }),
      502,
    ],
    [
      'vCenter unreachable (retryable)',
      new VCenterError('ECONNREFUSED', { type: 'NETWORK_ERROR' }),
      503,
    ],
    [
      'vCenter refusing the privilege (403)',
      new VCenterError('403', { type: 'UNAUTHORIZED', status: 403 }),
      502,
    ],
    [
      'a bad request vCenter will never accept',
      new VCenterError('400', { type: 'INVALID_ARGUMENT', status: 400 }),
      502,
    ],
    [
      'the tag deleted and not found again',
      new VCenterError('tag gone', { type: 'TAG_NOT_FOUND', retryable: false }),
      502,
    ],
    [
      'the tag deleted again mid-flight (retryable)',
      new VCenterError('vanished', { type: 'TAG_NOT_FOUND', retryable: true }),
      503,
    ],
  ];

  it.each(cases)('%s', async (_name, error, status) => {
    const { target } = fakeTarget([error]);
    const answer = await deliver(pcliTag(), target);
    expect(answer.status).toBe(status);
  });

  it('a VM deleted since it powered on is logged at warn with the reason', async () => {
    const { target } = fakeTarget([
      new VCenterError('gone', { type: 'NOT_FOUND', objectId: 'vm-11099' }),
    ]);
    const ctx = context(target);
    const parsed = parse(new CloudEvent<unknown>(pcliTag(), false)) as VSphereEvent;
    await handle(parsed, ctx).catch(() => undefined);
    expect(ctx.logs.messages('warn')).toEqual([
      'vm-11099 does not exist in vCenter (tagging vm-11099): deleted since it powered on?',
    ]);
  });

  it('hands the event deadline and logger to the tag target', async () => {
    let seen: { signal?: AbortSignal } | undefined;
    const target: State['target'] = {
      current: () => TAG,
      apply(_action, _vm, options) {
        seen = options;
        return Promise.resolve({ tag: TAG, tagExists: true });
      },
    };
    const ctx = context(target);
    await handle(parse(new CloudEvent<unknown>(pcliTag(), false)) as VSphereEvent, ctx);
    expect(seen?.signal).toBe(ctx.signal);
  });
});
