import { InvalidEventError } from '@veba-functions/runtime';
import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import {
  parseVSphereEvent,
  parseVSphereEventData,
  VSphereEvent,
  type CloudEventLike,
} from '../src/index.js';

const vmData = {
  Key: 9902,
  ChainId: 9895,
  CreatedTime: '2020-02-11T21:28:23.677595Z',
  UserName: 'VSPHERE.LOCAL\\Administrator',
  Datacenter: { Name: 'testDC', Datacenter: { Type: 'Datacenter', Value: 'datacenter-2' } },
  ComputeResource: {
    Name: 'cls',
    ComputeResource: { Type: 'ClusterComputeResource', Value: 'domain-c7' },
  },
  Host: { Name: '10.185.22.74', Host: { Type: 'HostSystem', Value: 'host-21' } },
  Vm: { Name: 'test-01', Vm: { Type: 'VirtualMachine', Value: 'vm-42' } },
  Ds: null,
  Net: null,
  Dvs: null,
  FullFormattedMessage: 'test-01 on 10.185.22.74 in testDC is powered on',
  ChangeTag: '',
  Template: false,
};

const v0 = (overrides: Record<string, unknown> = {}): CloudEventLike =>
  ({
    specversion: '1.0',
    id: '9902',
    source: 'https://vcenter.local/sdk',
    type: 'com.vmware.vsphere.VmPoweredOnEvent.v0',
    eventclass: 'event',
    data: vmData,
    ...overrides,
  }) as CloudEventLike;

const legacy = (overrides: Record<string, unknown> = {}): CloudEventLike =>
  v0({
    type: 'com.vmware.event.router/event',
    subject: 'VmPoweredOnEvent',
    eventclass: undefined,
    ...overrides,
  });

function rejection(action: () => unknown): InvalidEventError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).name).toBe('InvalidEventError');
    return error as InvalidEventError;
  }
  throw new Error('expected an InvalidEventError');
}

describe('parseVSphereEvent: the two formats', () => {
  it('reads the event class from a v0.8+ type', () => {
    const event = parseVSphereEvent(new CloudEvent<unknown>(v0() as Record<string, unknown>));
    expect(event).toBeInstanceOf(VSphereEvent);
    expect(event).toMatchObject({
      format: 'v0',
      eventClass: 'VmPoweredOnEvent',
      category: 'event',
      type: 'com.vmware.vsphere.VmPoweredOnEvent.v0',
      source: 'https://vcenter.local/sdk',
      id: '9902',
    });
    expect(event.eventTypeId).toBeUndefined();
    expect(event.family).toBe('vm');
  });

  it('reads the event class from the legacy router subject', () => {
    const event = parseVSphereEvent(legacy({ subject: 'DrsVmPoweredOnEvent' }));
    expect(event).toMatchObject({
      format: 'legacy',
      eventClass: 'DrsVmPoweredOnEvent',
      category: 'event',
    });
  });

  it.each([
    ['com.vmware.event.router/eventex', 'eventex'],
    ['com.vmware.event.router/extendedevent', 'extendedevent'],
  ] as const)('takes the category of a legacy %s from its type', (type, category) => {
    const event = parseVSphereEvent(
      legacy({ type, subject: 'com.vmware.sso.LoginFailure', data: { Key: 1 } }),
    );
    expect(event.category).toBe(category);
    expect(event.eventClass).toBe('com.vmware.sso.LoginFailure');
    expect(event.eventTypeId).toBe('com.vmware.sso.LoginFailure');
    expect(event.family).toBe('sso-login-failure');
  });

  it('reads an EventEx type id from a v0 type, the eventclass extension and data.EventTypeId', () => {
    const data = { Key: 326221, EventTypeId: 'com.vmware.cis.tagging.attach', Vm: null };
    const event = parseVSphereEvent(
      v0({
        type: 'com.vmware.vsphere.com.vmware.cis.tagging.attach.v0',
        eventclass: 'eventex',
        data,
      }),
    );
    expect(event).toMatchObject({
      eventClass: 'com.vmware.cis.tagging.attach',
      category: 'eventex',
    });
    expect(event.eventTypeId).toBe('com.vmware.cis.tagging.attach');
    expect(event.family).toBe('tagging');
  });

  it('infers the category when the eventclass extension is absent or unknown', () => {
    expect(parseVSphereEvent(v0({ eventclass: undefined })).category).toBe('event');
    expect(parseVSphereEvent(v0({ eventclass: 'bogus' })).category).toBe('event');
    const ex = v0({
      eventclass: undefined,
      type: 'com.vmware.vsphere.com.vmware.sso.LoginFailure.v0',
      data: {},
    });
    expect(parseVSphereEvent(ex).category).toBe('eventex');
    const withId = v0({ eventclass: undefined, data: { EventTypeId: 'esx.problem.x' } });
    expect(parseVSphereEvent(withId).category).toBe('eventex');
    expect(parseVSphereEvent(withId).eventTypeId).toBe('esx.problem.x');
  });

  it('returns an already parsed event unchanged', () => {
    const event = parseVSphereEvent(v0());
    expect(parseVSphereEvent(event as unknown as CloudEventLike)).toBe(event);
  });
});

describe('parseVSphereEvent: data as it may arrive', () => {
  it.each([
    ['a JSON string', JSON.stringify(vmData)],
    ['a Buffer', Buffer.from(JSON.stringify(vmData))],
    ['a Uint8Array', new TextEncoder().encode(JSON.stringify(vmData))],
  ])('decodes %s', (_label, data) => {
    expect(parseVSphereEvent(v0({ data })).requireVm().moref).toBe('vm-42');
  });

  it('decodes data_base64 when data is absent', () => {
    const event = parseVSphereEvent(
      v0({ data: undefined, data_base64: Buffer.from(JSON.stringify(vmData)).toString('base64') }),
    );
    expect(event.key).toBe(9902);
  });

  it('reads a Buffer view that does not start at offset 0', () => {
    const json = Buffer.from(`xxxx${JSON.stringify(vmData)}`);
    expect(parseVSphereEvent(v0({ data: json.subarray(4) })).key).toBe(9902);
  });

  it.each([
    ['missing', undefined, 'data is missing'],
    ['null', null, 'data is missing'],
    ['the JSON null', 'null', 'data is missing'],
    ['an array', [vmData], 'data is an array, expected a JSON object'],
    ['a number', 42, 'data is 42, expected a JSON object'],
    ['a JSON number', '42', 'data is 42, expected a JSON object'],
    ['a boolean', true, 'data is true, expected a JSON object'],
  ])('rejects data that is %s', (_label, data, reason) => {
    expect(rejection(() => parseVSphereEvent(v0({ data }))).message).toBe(reason);
  });

  it('rejects data that is not JSON, keeping the parse error as cause', () => {
    const error = rejection(() => parseVSphereEvent(v0({ data: '{"Key": REPLACE-ME}' })));
    expect(error.message).toMatch(/^data is not valid JSON: /);
    expect(error.cause).toBeInstanceOf(SyntaxError);
    expect(rejection(() => parseVSphereEvent(v0({ data: Buffer.from('{') }))).message).toMatch(
      /^data is not valid JSON: /,
    );
    expect(
      rejection(() => parseVSphereEvent(v0({ data: undefined, data_base64: 'e30x' }))).message,
    ).toMatch(/^data_base64 is not valid JSON: /);
  });
});

describe('parseVSphereEvent: envelope errors name the attribute', () => {
  it.each([
    ['specversion missing', { specversion: undefined }, 'specversion is missing'],
    ['specversion 0.3', { specversion: '0.3' }, "specversion is '0.3', expected '1.0'"],
    ['id missing', { id: undefined }, 'id is missing'],
    ['id empty', { id: '' }, 'id is missing'],
    ['id not a string', { id: 7 }, 'id is 7, expected a string'],
    ['source missing', { source: undefined }, 'source is missing'],
    ['type missing', { type: null }, 'type is missing'],
    [
      'type not vSphere',
      { type: 'com.vmware.harbor.push_artifact.v0' },
      "type 'com.vmware.harbor.push_artifact.v0' is not a vSphere event type " +
        '(expected com.vmware.vsphere.<EventClass>.v0 or com.vmware.event.router/event|eventex|extendedevent)',
    ],
    [
      'type v0 without a class',
      { type: 'com.vmware.vsphere..v0' },
      "type 'com.vmware.vsphere..v0' is not a vSphere event type " +
        '(expected com.vmware.vsphere.<EventClass>.v0 or com.vmware.event.router/event|eventex|extendedevent)',
    ],
  ])('%s', (_label, overrides, reason) => {
    expect(rejection(() => parseVSphereEvent(v0(overrides))).message).toBe(reason);
  });

  it('requires the subject of a legacy router event', () => {
    expect(rejection(() => parseVSphereEvent(legacy({ subject: undefined }))).message).toBe(
      'subject is missing: a com.vmware.event.router/event event names its event class in subject',
    );
    expect(rejection(() => parseVSphereEvent(legacy({ subject: 'Vm Powered On' }))).message).toBe(
      "subject is 'Vm Powered On', expected an event class name",
    );
  });

  it('rejects something that is not an object', () => {
    expect(rejection(() => parseVSphereEvent(null as unknown as CloudEventLike)).message).toBe(
      'the event is not an object',
    );
  });

  it('checks the envelope before the data', () => {
    expect(
      rejection(() => parseVSphereEvent(v0({ specversion: '0.3', data: null }))).message,
    ).toMatch(/^specversion/);
  });
});

describe('parseVSphereEventData', () => {
  it('gives typed access to a bare body', () => {
    const body = parseVSphereEventData(JSON.stringify(vmData));
    expect(body.requireVm()).toEqual({ name: 'test-01', moref: 'vm-42', type: 'VirtualMachine' });
    expect(body.eventTypeId).toBeUndefined();
  });

  it('rejects a missing body', () => {
    expect(rejection(() => parseVSphereEventData(null)).message).toBe('data is missing');
  });
});
