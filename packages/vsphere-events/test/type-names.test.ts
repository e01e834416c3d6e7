import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import {
  eventClassOf,
  eventFamily,
  isVSphereType,
  matchesEventClass,
  parseVSphereEvent,
  vsphereType,
  type EventFamily,
} from '../src/index.js';

describe('isVSphereType', () => {
  it.each([
    'com.vmware.vsphere.VmPoweredOnEvent.v0',
    'com.vmware.vsphere.com.vmware.cis.tagging.attach.v0',
    'com.vmware.event.router/event',
    'com.vmware.event.router/eventex',
    'com.vmware.event.router/extendedevent',
  ])('accepts %s', (type) => {
    expect(isVSphereType(type)).toBe(true);
  });

  it.each([
    'com.vmware.harbor.push_artifact.v0',
    'com.vmware.event.router/horizon.vlsi_userlogin_rest_failed.v0',
    'com.vmware.vsphere.VmPoweredOnEvent.v1',
    'com.vmware.vsphere..v0',
    'com.vmware.vsphere.Vm Powered.v0',
    '',
    undefined,
    42,
  ])('refuses %s', (type) => {
    expect(isVSphereType(type)).toBe(false);
  });
});

describe('vsphereType', () => {
  it('builds the v0 type for a class or an EventTypeId', () => {
    expect(vsphereType('DrsVmPoweredOnEvent')).toBe('com.vmware.vsphere.DrsVmPoweredOnEvent.v0');
    expect(vsphereType('com.vmware.cis.tagging.attach')).toBe(
      'com.vmware.vsphere.com.vmware.cis.tagging.attach.v0',
    );
  });

  it('round-trips through the parser', () => {
    const type = vsphereType('VmReconfiguredEvent');
    const event = parseVSphereEvent({ specversion: '1.0', id: '1', source: 's', type, data: {} });
    expect(event.eventClass).toBe('VmReconfiguredEvent');
  });

  it.each(['', 'Vm Powered On', undefined])('refuses %j', (eventClass) => {
    expect(() => vsphereType(eventClass as string)).toThrow(TypeError);
  });
});

describe('eventClassOf and matchesEventClass', () => {
  const powerOn = ['VmPoweredOnEvent', 'DrsVmPoweredOnEvent'];
  const v0 = new CloudEvent<unknown>({
    source: 'https://vc/sdk',
    type: 'com.vmware.vsphere.DrsVmPoweredOnEvent.v0',
    data: null,
  });
  const legacy = new CloudEvent<unknown>({
    source: 'https://vc/sdk',
    type: 'com.vmware.event.router/event',
    subject: 'VmPoweredOnEvent',
  });

  it('reads the class of either format without touching data', () => {
    expect(eventClassOf(v0)).toBe('DrsVmPoweredOnEvent');
    expect(eventClassOf(legacy)).toBe('VmPoweredOnEvent');
    expect(eventClassOf({ type: 'com.vmware.event.router/event' })).toBeUndefined();
    expect(
      eventClassOf({ type: 'dev.knative.sources.ping', subject: 'VmPoweredOnEvent' }),
    ).toBeUndefined();
  });

  it('matches CloudEvents of both formats against a list or a set', () => {
    expect(matchesEventClass(v0, powerOn)).toBe(true);
    expect(matchesEventClass(legacy, new Set(powerOn))).toBe(true);
    expect(matchesEventClass(legacy, ['VmPoweredOffEvent'])).toBe(false);
  });

  it('matches a parsed event', () => {
    const event = parseVSphereEvent({
      specversion: '1.0',
      id: '1',
      source: 's',
      type: vsphereType('VmPoweredOnEvent'),
      data: {},
    });
    expect(matchesEventClass(event, powerOn)).toBe(true);
    expect(matchesEventClass(event, [])).toBe(false);
  });

  it('never throws on a foreign or broken event', () => {
    expect(matchesEventClass({ type: 'com.vmware.harbor.push_artifact.v0' }, powerOn)).toBe(false);
    expect(matchesEventClass({ type: 42 as unknown as string }, powerOn)).toBe(false);
    expect(matchesEventClass({}, powerOn)).toBe(false);
  });
});

describe('eventFamily: the one classifier', () => {
  it.each([
    ['VmPoweredOnEvent', 'vm'],
    ['DrsVmPoweredOnEvent', 'vm'],
    ['VmPoweredOffEvent', 'vm'],
    ['VmSuspendedEvent', 'vm'],
    ['VmMigratedEvent', 'vm'],
    ['DrsVmMigratedEvent', 'vm'],
    ['VmRelocatedEvent', 'vm'],
    ['VmReconfiguredEvent', 'vm'],
    ['VmRemovedEvent', 'vm'],
    ['VmCreatedEvent', 'vm'],
    ['VmClonedEvent', 'vm'],
    ['AlarmStatusChangedEvent', 'alarm'],
    ['AlarmCreatedEvent', 'alarm'],
    ['EnteredMaintenanceModeEvent', 'host-maintenance'],
    ['EnteringMaintenanceModeEvent', 'host-maintenance'],
    ['ExitMaintenanceModeEvent', 'host-maintenance'],
    ['CanceledHostMaintenanceEvent', 'host-maintenance'],
    ['TaskEvent', 'task'],
    ['com.vmware.cis.tagging.attach', 'tagging'],
    ['com.vmware.cis.tagging.detach', 'tagging'],
    ['com.vmware.sso.LoginFailure', 'sso-login-failure'],
    ['com.vmware.vc.HA.ClusterFailoverActionCompletedEvent', 'ha-failover'],
    ['com.vmware.vc.ha.VmRestartedByHAEvent', 'ha-failover'],
    ['DasHostFailedEvent', 'ha-failover'],
    ['com.vmware.applmgmt.backup.job.failed.event', 'backup-job'],
    ['esx.problem.storage.connectivity.lost', 'eventex'],
    ['DvsReconfiguredEvent', 'generic'],
    ['toString', 'generic'],
    ['constructor', 'generic'],
    ['__proto__', 'generic'],
    ['hasOwnProperty', 'generic'],
  ] as [string, EventFamily][])('%s -> %s', (eventClass, family) => {
    expect(eventFamily(eventClass)).toBe(family);
  });

  it('an EventTypeId in the payload wins over the class name', () => {
    expect(eventFamily('EventEx', 'com.vmware.sso.LoginFailure')).toBe('sso-login-failure');
  });
});
