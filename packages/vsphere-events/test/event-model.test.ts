import { InvalidEventError } from '@veba-functions/runtime';
import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { MAX_EVENT_KEY } from '../src/event-key.js';
import {
  VSphereEvent,
  parseEventKey,
  parseVSphereEventData,
  recordField,
  refName,
  textField,
  vmOrderingScope,
  vsphereEventParser,
} from '../src/index.js';

const vm = { Name: 'web-01', Vm: { Type: 'VirtualMachine', Value: 'vm-42' } };

function cloudEvent(type: string, data: unknown, extra: Record<string, unknown> = {}) {
  return new CloudEvent<unknown>(
    { id: '9902', source: 'https://vc.corp.local/sdk', type, data, ...extra },
    false,
  );
}

describe('parseEventKey: the one Key parser', () => {
  it.each([
    [0, 0],
    [9902, 9902],
    ['929015', 929015],
    [MAX_EVENT_KEY, MAX_EVENT_KEY],
    [String(MAX_EVENT_KEY), MAX_EVENT_KEY],
  ])('%j -> %j', (value, expected) => {
    expect(parseEventKey(value)).toBe(expected);
  });

  it.each([
    MAX_EVENT_KEY + 1,
    Number.MAX_SAFE_INTEGER,
    '2147483648',
    '00000000001234',
    -1,
    1.5,
    '1e3',
    ' 12',
    '',
    null,
    undefined,
    true,
    {},
  ])('%j is not a vCenter event key', (value) => {
    expect(parseEventKey(value)).toBeUndefined();
  });
});

describe('field readers', () => {
  const data = {
    To: 'red',
    Count: 3,
    Empty: '',
    Info: { State: 'error' },
    Alarm: { Name: 'CPU usage', Alarm: { Type: 'Alarm', Value: 'alarm-1' } },
  };

  it('read own fields as text, records and reference names', () => {
    expect(textField(data, 'To')).toBe('red');
    expect(textField(data, 'Count')).toBe('3');
    expect(textField(data, 'Empty')).toBeUndefined();
    expect(recordField(data, 'Info')).toEqual({ State: 'error' });
    expect(refName(data, 'Alarm')).toBe('CPU usage');
    const event = parseVSphereEventData(data);
    expect(event.text('To')).toBe('red');
    expect(event.record('Info')).toEqual({ State: 'error' });
    expect(event.refName('Alarm')).toBe('CPU usage');
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'never read the inherited %s',
    (name) => {
      expect(textField({}, name)).toBeUndefined();
      expect(recordField({}, name)).toBeUndefined();
      expect(refName({}, name)).toBeUndefined();
      expect(textField(JSON.parse(`{"${name}": "own"}`), name)).toBe('own');
    },
  );

  it('never throw on non-objects', () => {
    for (const value of [null, undefined, 'text', 3, [1, 2]]) {
      expect(textField(value, 'To')).toBeUndefined();
      expect(recordField(value, 'Info')).toBeUndefined();
    }
  });
});

describe('vsphereEventParser: the parse step of a vSphere function', () => {
  const parse = vsphereEventParser({ classes: ['VmPoweredOnEvent', 'DrsVmPoweredOnEvent'] });

  it('parses a handled class into a VSphereEvent', () => {
    const event = parse(
      cloudEvent('com.vmware.vsphere.VmPoweredOnEvent.v0', { Key: 9902, Vm: vm }),
    );
    expect(event).toBeInstanceOf(VSphereEvent);
    expect((event as VSphereEvent).requireVm().moref).toBe('vm-42');
  });

  it('skips another vSphere class without reading data', () => {
    const event = cloudEvent('com.vmware.vsphere.VmPoweredOffEvent.v0', '{not json');
    expect(parse(event)).toEqual({ skipped: 'type not handled: VmPoweredOffEvent' });
  });

  it('skips a type that is not a vSphere type', () => {
    expect(parse(cloudEvent('com.vmware.harbor.push_artifact.v0', {}))).toEqual({
      skipped: 'type com.vmware.harbor.push_artifact.v0 is not a vSphere event type',
    });
  });

  it.each(['constructor', 'toString', '__proto__'])(
    'skips an event class named %s (never an inherited match)',
    (name) => {
      expect(parse(cloudEvent(`com.vmware.vsphere.${name}.v0`, {}))).toEqual({
        skipped: `type not handled: ${name}`,
      });
    },
  );

  it('rejects (400) a handled class whose data is unusable, and a legacy event without subject', () => {
    expect(() => parse(cloudEvent('com.vmware.vsphere.VmPoweredOnEvent.v0', [1]))).toThrow(
      InvalidEventError,
    );
    expect(() => parse(cloudEvent('com.vmware.event.router/event', { Key: 1 }))).toThrow(
      /subject is missing/,
    );
  });

  it('without classes, parses every vSphere event', () => {
    const all = vsphereEventParser();
    const event = all(cloudEvent('com.vmware.vsphere.VmPoweredOffEvent.v0', { Key: 1 }));
    expect((event as VSphereEvent).eventClass).toBe('VmPoweredOffEvent');
  });
});

describe('vmOrderingScope', () => {
  const parse = vsphereEventParser();
  it('is one VM of one vCenter', () => {
    const event = parse(cloudEvent('com.vmware.vsphere.VmPoweredOnEvent.v0', { Vm: vm }));
    expect(vmOrderingScope(event as VSphereEvent)).toBe('https://vc.corp.local/sdk|vm-42');
  });
  it('is undefined without a usable VM', () => {
    const event = parse(cloudEvent('com.vmware.vsphere.VmPoweredOnEvent.v0', { Vm: null }));
    expect(vmOrderingScope(event as VSphereEvent)).toBeUndefined();
  });
});
