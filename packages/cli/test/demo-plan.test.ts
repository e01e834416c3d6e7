import { describe, expect, it } from 'vitest';
import { routes } from '../src/demo/broker.js';
import { findOutOfOrderPair, planDeliveries, shuffle } from '../src/demo/plan.js';
import type { OutgoingEvent } from '../src/events.js';

/** A power-on as vcsim's source emulator sends it (ce-id = Key, Vm.Vm.Value = the moref). */
function powerOn(key: number, vm: string, source = 'https://127.0.0.1:8989/sdk'): OutgoingEvent {
  return {
    attributes: {
      specversion: '1.0',
      id: String(key),
      source,
      type: 'com.vmware.vsphere.VmPoweredOnEvent.v0',
    },
    data: { Key: key, Vm: { Name: vm, Vm: { Type: 'VirtualMachine', Value: vm } } },
    origin: `test ${key}`,
  };
}

const letters = Array.from({ length: 20 }, (_, i) => String.fromCharCode(97 + i));

describe('shuffle', () => {
  it('is a permutation, the same for the same seed and different for another', () => {
    const a = shuffle(letters, 5);
    expect([...a].sort()).toEqual(letters);
    expect(shuffle(letters, 5)).toEqual(a);
    expect(shuffle(letters, 6)).not.toEqual(a);
    expect(a).not.toEqual(letters);
  });
});

describe('planDeliveries', () => {
  it('shuffles, doubles every other event back to back and replays the first third', () => {
    const plan = planDeliveries(letters, { seed: 7 });
    const order = shuffle(letters, 7);

    expect(plan.pair).toBeUndefined();
    // Every event once, every other one (by shuffled position) twice in a row.
    const expected = order.flatMap((e, i) => (i % 2 === 0 ? [e, e] : [e]));
    expect(plan.burst).toEqual(expected);
    expect(plan.burst).toHaveLength(30);
    expect(plan.replay).toEqual(order.slice(0, 7));
    expect(planDeliveries(letters, { seed: 7 })).toEqual(plan);
    expect(planDeliveries(letters, { seed: 8 }).burst).not.toEqual(plan.burst);
  });

  it('keeps the out-of-order pair apart from the shuffled rest', () => {
    const events = [powerOn(10, 'vm-1'), powerOn(11, 'vm-2'), powerOn(12, 'vm-1')];
    const pair = { vm: 'vm-1', newer: events[2]!, older: events[0]! };
    const plan = planDeliveries(events, { seed: 1, pair });

    expect(plan.pair).toBe(pair);
    expect(plan.burst).toEqual([events[1], events[1]]);
    expect(plan.replay).toEqual([events[1]]);
  });

  it('plans nothing for no events', () => {
    expect(planDeliveries([], { seed: 1 })).toEqual({ burst: [], replay: [] });
  });
});

describe('findOutOfOrderPair', () => {
  it('takes a VM with exactly two events, newer and older by Key', () => {
    const busy = [powerOn(20, 'vm-9'), powerOn(21, 'vm-9'), powerOn(22, 'vm-9')];
    const twice = [powerOn(31, 'vm-7'), powerOn(30, 'vm-7')];
    const pair = findOutOfOrderPair([...busy, powerOn(25, 'vm-3'), ...twice]);

    expect(pair).toEqual({ vm: 'vm-7', newer: twice[0], older: twice[1] });
  });

  it('falls back to a busier VM: its newest and oldest', () => {
    const busy = [powerOn(21, 'vm-9'), powerOn(20, 'vm-9'), powerOn(22, 'vm-9')];
    expect(findOutOfOrderPair(busy)).toEqual({ vm: 'vm-9', newer: busy[2], older: busy[1] });
  });

  it('needs two distinct Keys for one VM of one vCenter', () => {
    expect(findOutOfOrderPair([powerOn(1, 'vm-1'), powerOn(2, 'vm-2')])).toBeUndefined();
    expect(findOutOfOrderPair([powerOn(1, 'vm-1'), powerOn(1, 'vm-1')])).toBeUndefined();
    // vm-1 of two vCenters is two VMs (the ordering guard's scope is source|vm).
    expect(
      findOutOfOrderPair([
        powerOn(1, 'vm-1', 'https://a/sdk'),
        powerOn(2, 'vm-1', 'https://b/sdk'),
      ]),
    ).toBeUndefined();
    const noVm = { ...powerOn(3, 'vm-1'), data: { Key: 3, Vm: null } };
    expect(findOutOfOrderPair([noVm, powerOn(4, 'vm-1')])).toBeUndefined();
  });
});

describe('routes (Trigger filters)', () => {
  const event = {
    attributes: { type: 'com.vmware.event.router/event', subject: 'VmPoweredOnEvent' },
    origin: 'test',
  };

  it('matches when every filter attribute is equal, and a Trigger without filter takes all', () => {
    const on = {
      attributes: { type: 'com.vmware.event.router/event', subject: 'VmPoweredOnEvent' },
    };
    const off = {
      attributes: { type: 'com.vmware.event.router/event', subject: 'VmPoweredOffEvent' },
    };
    expect(routes(event, [on])).toBe(true);
    expect(routes(event, [off])).toBe(false);
    expect(routes(event, [off, on])).toBe(true);
    expect(routes(event, [{ attributes: {} }])).toBe(true);
  });

  it('routes nothing to a function without Triggers, and needs the attribute to be there', () => {
    expect(routes(event, [])).toBe(false);
    expect(routes(event, [{ attributes: { eventclass: 'event' } }])).toBe(false);
    // An inherited property is not an attribute.
    expect(routes(event, [{ attributes: { constructor: String({}.constructor) } }])).toBe(false);
  });
});
