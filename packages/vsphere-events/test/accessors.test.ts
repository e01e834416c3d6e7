import { InvalidEventError } from '@veba-functions/runtime';
import { describe, expect, it } from 'vitest';
import { ENTITY_KINDS, parseVSphereEventData, type EntityKind } from '../src/index.js';

const full = {
  Key: 16957152,
  ChainId: 16957145,
  CreatedTime: '2023-11-27T10:00:08.715999Z',
  UserName: 'mydomain.com\\Administrator',
  FullFormattedMessage: 'DRS powered On vm1 on esx01.mydomain.com in DC1',
  Datacenter: { Name: 'DC1', Datacenter: { Type: 'Datacenter', Value: 'datacenter-1' } },
  ComputeResource: {
    Name: 'Cluster1',
    ComputeResource: { Type: 'ClusterComputeResource', Value: 'domain-c8' },
  },
  Host: { Name: 'esx01.mydomain.com', Host: { Type: 'HostSystem', Value: 'host-15' } },
  Vm: { Name: 'vm1', Vm: { Type: 'VirtualMachine', Value: 'vm-81' } },
  Ds: { Name: 'vsanDatastore', Datastore: { Type: 'Datastore', Value: 'datastore-60' } },
  Net: {
    Name: 'pg-web',
    Network: { Type: 'DistributedVirtualPortgroup', Value: 'dvportgroup-7007' },
  },
  Dvs: { Name: 'vds-01', Dvs: { Type: 'VmwareDistributedVirtualSwitch', Value: 'dvs-7005' } },
  EventTypeId: 'com.vmware.sso.LoginFailure',
  Arguments: [
    { Key: 'userIp', Value: '10.0.1.337' },
    { Key: 'count', Value: 3 },
    { Key: 'empty', Value: null },
    null,
  ],
};

const body = (overrides: Record<string, unknown>) =>
  parseVSphereEventData({ ...full, ...overrides });

function reason(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidEventError');
}

describe('common fields', () => {
  it('reads Key, ChainId, CreatedTime, UserName, FullFormattedMessage and EventTypeId', () => {
    const event = parseVSphereEventData(full);
    expect(event.key).toBe(16957152);
    expect(event.requireKey()).toBe(16957152);
    expect(event.chainId).toBe(16957145);
    expect(event.createdTime).toEqual(new Date('2023-11-27T10:00:08.715999Z'));
    expect(event.userName).toBe('mydomain.com\\Administrator');
    expect(event.fullFormattedMessage).toBe('DRS powered On vm1 on esx01.mydomain.com in DC1');
    expect(event.eventTypeId).toBe('com.vmware.sso.LoginFailure');
    expect(event.data['Key']).toBe(16957152);
  });

  it('accepts a Key written as a decimal string', () => {
    expect(body({ Key: '929015' }).key).toBe(929015);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['negative', -1],
    ['fractional', 1.5],
    ['not numeric', 'abc'],
    ['an object', {}],
    ['beyond int32 (2^31)', 2 ** 31],
    ['2^53 - 1', Number.MAX_SAFE_INTEGER],
    ['a long decimal string', '9007199254740991'],
  ])('reads a Key that is %s as undefined', (_label, Key) => {
    expect(body({ Key }).key).toBeUndefined();
  });

  it('names the problem when Key is required', () => {
    expect(reason(() => body({ Key: null }).requireKey())).toBe('data.Key is missing');
    expect(reason(() => body({ Key: 'abc' }).requireKey())).toBe(
      "data.Key is 'abc', expected an integer",
    );
    expect(reason(() => body({ Key: Number.MAX_SAFE_INTEGER }).requireKey())).toBe(
      "data.Key 9007199254740991 is outside vCenter's event key range (0 to 2147483647)",
    );
    expect(reason(() => body({ Key: 1.5 }).requireKey())).toBe(
      'data.Key is 1.5, expected an integer',
    );
  });

  it('reads null, empty or mistyped fields as undefined', () => {
    const event = body({
      ChainId: null,
      CreatedTime: 'yesterday',
      UserName: '',
      FullFormattedMessage: 42,
      EventTypeId: null,
      Arguments: 'none',
    });
    expect(event.chainId).toBeUndefined();
    expect(event.createdTime).toBeUndefined();
    expect(event.userName).toBeUndefined();
    expect(event.fullFormattedMessage).toBeUndefined();
    expect(event.eventTypeId).toBeUndefined();
    expect(event.argument('userIp')).toBeUndefined();
    expect(body({ CreatedTime: 12 }).createdTime).toBeUndefined();
  });

  it('reads EventEx arguments by key', () => {
    const event = parseVSphereEventData(full);
    expect(event.argument('userIp')).toBe('10.0.1.337');
    expect(event.argument('count')).toBe('3');
    expect(event.argument('empty')).toBeUndefined();
    expect(event.argument('absent')).toBeUndefined();
  });
});

describe('entity references', () => {
  it.each([
    ['Vm', { name: 'vm1', moref: 'vm-81', type: 'VirtualMachine' }],
    ['Host', { name: 'esx01.mydomain.com', moref: 'host-15', type: 'HostSystem' }],
    ['Datacenter', { name: 'DC1', moref: 'datacenter-1', type: 'Datacenter' }],
    ['ComputeResource', { name: 'Cluster1', moref: 'domain-c8', type: 'ClusterComputeResource' }],
    ['Ds', { name: 'vsanDatastore', moref: 'datastore-60', type: 'Datastore' }],
    ['Net', { name: 'pg-web', moref: 'dvportgroup-7007', type: 'DistributedVirtualPortgroup' }],
    ['Dvs', { name: 'vds-01', moref: 'dvs-7005', type: 'VmwareDistributedVirtualSwitch' }],
  ] as const)('reads %s', (kind, expected) => {
    const event = parseVSphereEventData(full);
    expect(event.entity(kind)).toEqual(expected);
    expect(event.requireEntity(kind)).toEqual(expected);
  });

  it('lists every kind once', () => {
    expect([...ENTITY_KINDS].sort()).toEqual([
      'ComputeResource',
      'Datacenter',
      'Ds',
      'Dvs',
      'Host',
      'Net',
      'Vm',
    ]);
  });

  it('has requireVm and requireHost shortcuts', () => {
    const event = parseVSphereEventData(full);
    expect(event.requireVm()).toEqual({ name: 'vm1', moref: 'vm-81', type: 'VirtualMachine' });
    expect(event.requireHost().moref).toBe('host-15');
  });

  it('accepts a standalone host compute resource and a plain network', () => {
    const event = body({
      ComputeResource: {
        Name: 'DC0_H0',
        ComputeResource: { Type: 'ComputeResource', Value: 'computeresource-23' },
      },
      Net: { Name: 'VM Network', Network: { Type: 'Network', Value: 'network-7' } },
    });
    expect(event.requireEntity('ComputeResource').type).toBe('ComputeResource');
    expect(event.requireEntity('Net').moref).toBe('network-7');
  });

  it('leaves the name undefined when the event has none', () => {
    expect(body({ Vm: { Vm: { Type: 'VirtualMachine', Value: 'vm-2' } } }).requireVm()).toEqual({
      name: undefined,
      moref: 'vm-2',
      type: 'VirtualMachine',
    });
    expect(
      body({ Vm: { Name: '', Vm: { Type: 'VirtualMachine', Value: 'vm-2' } } }).requireVm().name,
    ).toBeUndefined();
  });

  it.each([
    ['Vm missing', { Vm: undefined }, 'data.Vm is missing'],
    ['Vm null', { Vm: null }, 'data.Vm is missing'],
    ['Vm a string', { Vm: 'None' }, "data.Vm is 'None', expected an object"],
    ['Vm an array', { Vm: [] }, 'data.Vm is an array, expected an object'],
    ['Vm.Vm missing', { Vm: { Name: 'x' } }, 'data.Vm.Vm is missing'],
    ['Vm.Vm null', { Vm: { Vm: null } }, 'data.Vm.Vm is missing'],
    ['Vm.Vm a number', { Vm: { Vm: 5 } }, 'data.Vm.Vm is 5, expected an object'],
    ['null moref', { Vm: { Vm: { Value: null, Type: null } } }, 'data.Vm.Vm.Value is missing'],
    [
      'empty moref',
      { Vm: { Vm: { Value: '', Type: 'VirtualMachine' } } },
      'data.Vm.Vm.Value is missing',
    ],
    [
      'numeric moref',
      { Vm: { Vm: { Value: 42, Type: 'VirtualMachine' } } },
      'data.Vm.Vm.Value is 42, expected a string',
    ],
    [
      'moref with a path',
      { Vm: { Vm: { Value: 'vm-1/../x', Type: 'VirtualMachine' } } },
      "data.Vm.Vm.Value 'vm-1/../x' is not a valid managed object id",
    ],
    [
      'moref with spaces',
      { Vm: { Vm: { Value: 'vm 1', Type: 'VirtualMachine' } } },
      "data.Vm.Vm.Value 'vm 1' is not a valid managed object id",
    ],
    ['Type missing', { Vm: { Vm: { Value: 'vm-42' } } }, 'data.Vm.Vm.Type is missing'],
    [
      'Type of another kind',
      { Vm: { Vm: { Value: 'host-1', Type: 'HostSystem' } } },
      "data.Vm.Vm.Type is 'HostSystem', expected 'VirtualMachine'",
    ],
    [
      'Type not a string',
      { Vm: { Vm: { Value: 'vm-1', Type: 1 } } },
      "data.Vm.Vm.Type is 1, expected 'VirtualMachine'",
    ],
  ])('requireVm: %s', (_label, overrides, expected) => {
    const event = body(overrides);
    expect(reason(() => event.requireVm())).toBe(expected);
    expect(event.entity('Vm')).toBeUndefined();
  });

  it.each([
    [
      'Host',
      { Host: { Host: { Value: 'REPLACE ME', Type: 'HostSystem' } } },
      "data.Host.Host.Value 'REPLACE ME' is not a valid managed object id",
    ],
    [
      'Ds',
      { Ds: { Name: 'x', Ds: { Value: 'datastore-1', Type: 'Datastore' } } },
      'data.Ds.Datastore is missing',
    ],
    [
      'ComputeResource',
      { ComputeResource: { ComputeResource: { Value: 'vm-1', Type: 'VirtualMachine' } } },
      "data.ComputeResource.ComputeResource.Type is 'VirtualMachine', expected 'ComputeResource' or 'ClusterComputeResource'",
    ],
    [
      'Net',
      { Net: { Network: { Value: 'dvs-1', Type: 'DistributedVirtualSwitch' } } },
      "data.Net.Network.Type is 'DistributedVirtualSwitch', expected 'Network' or 'DistributedVirtualPortgroup' or 'OpaqueNetwork'",
    ],
    ['Dvs', { Dvs: null }, 'data.Dvs is missing'],
    [
      'Datacenter',
      { Datacenter: { Datacenter: {} } },
      'data.Datacenter.Datacenter.Value is missing',
    ],
  ] as const)('requireEntity(%s) names the field', (kind: EntityKind, overrides, expected) => {
    expect(reason(() => body(overrides).requireEntity(kind))).toBe(expected);
  });

  it('cuts long values short in messages', () => {
    const message = reason(() => body({ Vm: 'x'.repeat(500) }).requireVm());
    expect(message.length).toBeLessThan(160);
    expect(message).toContain('...');
  });
});
