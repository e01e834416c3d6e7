import { describe, expect, it } from 'vitest';
import { dispatchPlan, routes } from '../src/demo/broker.js';
import type { DemoFunction } from '../src/demo/demo-function.js';
import { findOutOfOrderPair, planDeliveries, shuffle } from '../src/demo/plan.js';
import { planUnits, routeEvents } from '../src/demo/schedule.js';
import type { DeliveryResult } from '../src/delivery.js';
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
    expect(planDeliveries([], { seed: 1 })).toEqual({ burst: [], replay: [], after: [] });
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

describe('planDeliveries: what happens later', () => {
  it('keeps `after` in its order, out of the shuffle and the replay', () => {
    const plan = planDeliveries(letters.slice(0, 6), { seed: 3, after: ['y', 'z'] });
    expect(plan.after).toEqual(['y', 'z']);
    expect(plan.burst).not.toContain('y');
    expect(plan.replay).not.toContain('z');
  });
});

describe('dispatchPlan', () => {
  it('sends the pair one by one, the burst and replay in parallel, `after` last and one at a time', async () => {
    const log: string[] = [];
    let inFlight = 0;
    let most = 0;
    const mostAfter: number[] = [];
    const send = async (item: string): Promise<DeliveryResult> => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      if (item.startsWith('later')) mostAfter.push(inFlight);
      log.push(`start ${item}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`end ${item}`);
      inFlight -= 1;
      return { delivery: 0, attempts: [], status: 200, ok: true, unreachable: false, body: item };
    };
    const plan = planDeliveries(['a', 'b', 'c', 'd', 'e', 'f', 'new', 'old'], {
      seed: 1,
      pair: { vm: 'vm-1', newer: 'new', older: 'old' },
      after: ['later-1', 'later-2'],
    });

    const result = await dispatchPlan(plan, send, { parallelism: 3 });

    expect(log.slice(0, 4)).toEqual(['start new', 'end new', 'start old', 'end old']);
    expect(log.slice(-4)).toEqual(['start later-1', 'end later-1', 'start later-2', 'end later-2']);
    expect(most).toBe(3);
    expect(mostAfter).toEqual([1, 1]);
    expect(result.deliveries.map((d) => d.item)).toEqual([
      'new',
      'old',
      ...plan.burst,
      ...plan.replay,
      'later-1',
      'later-2',
    ]);
    expect(result.deliveries.every((d) => d.result.body === d.item)).toBe(true);
    expect(result.pairResults?.map((r) => r.body)).toEqual(['new', 'old']);
  });
});

describe('routeEvents and planUnits', () => {
  const offEvent = (key: number, vm: string): OutgoingEvent => ({
    ...powerOn(key, vm),
    attributes: { ...powerOn(key, vm).attributes, type: 'com.vmware.vsphere.VmPoweredOffEvent.v0' },
  });
  const vcsim = [
    powerOn(10, 'vm-1'),
    offEvent(11, 'vm-1'),
    powerOn(12, 'vm-1'),
    powerOn(13, 'vm-2'),
  ];
  const entry = (over: Partial<DemoFunction>): DemoFunction => ({
    name: 'vm-tag',
    events: { corpus: false, vcsim: true },
    env: () => ({}),
    ...over,
  });
  const on = { attributes: { type: 'com.vmware.vsphere.VmPoweredOnEvent.v0' } };
  const off = { attributes: { type: 'com.vmware.vsphere.VmPoweredOffEvent.v0' } };

  it("routes by an entry's own Triggers, and keeps only follow-ups they select and it lacks", () => {
    const followUp = powerOn(20, 'vm-3');
    const [attach, detach] = routeEvents(
      [
        {
          entry: entry({
            instance: 'attach',
            triggers: [on],
            followUps: () => [vcsim[0]!, followUp, offEvent(21, 'vm-3')],
          }),
          process: 1,
        },
        { entry: entry({ instance: 'detach', triggers: [off] }), process: 2 },
      ],
      { root: '/nowhere', corpus: [], vcsim, fullCorpus: () => [] },
    );

    expect(attach!.name).toBe('attach');
    expect(attach!.events).toEqual([vcsim[0], vcsim[2], vcsim[3]]);
    expect(attach!.followUps).toEqual([followUp]);
    expect(detach!.events).toEqual([vcsim[1]]);
    expect(detach!.process).toBe(2);
  });

  it('plans a serial group as one unit, one at a time, and an entry with a pair on its own', () => {
    const routed = routeEvents(
      [
        { entry: entry({ instance: 'attach', triggers: [on], serialGroup: 'g' }), process: 1 },
        { entry: entry({ instance: 'detach', triggers: [off], serialGroup: 'g' }), process: 2 },
        {
          entry: entry({ name: 'vm-tag-on-power-on', triggers: [on], outOfOrderPair: true }),
          process: 3,
        },
        { entry: entry({ name: 'echo', triggers: [off], outOfOrderPair: true }), process: 4 },
      ],
      { root: '/nowhere', corpus: [], vcsim, fullCorpus: () => [] },
    );
    const notes: string[] = [];
    const units = planUnits(routed, { seed: 5, notes });

    expect(units.map((u) => [u.group, u.members.map((m) => m.name), u.parallelism])).toEqual([
      [undefined, ['vm-tag-on-power-on'], 6],
      [undefined, ['echo'], 6],
      ['g', ['attach', 'detach'], 1],
    ]);
    const group = units[2]!.plan;
    expect(group.pair).toBeUndefined();
    expect(new Set(group.burst.map((t) => t.event))).toEqual(new Set(vcsim));
    expect(group.burst.every((t) => t.to.events.includes(t.event))).toBe(true);
    const pair = units[0]!.plan.pair!;
    expect([pair.vm, pair.newer.event, pair.older.event]).toEqual(['vm-1', vcsim[2], vcsim[0]]);
    expect(units[0]!.plan.burst.map((t) => t.event)).toEqual([vcsim[3], vcsim[3]]);
    expect(notes).toEqual(['echo: no VM with two events of distinct Keys: no out-of-order pair']);
  });
});
