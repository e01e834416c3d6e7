import { join } from 'node:path';
import type { OutgoingEvent } from '../events.js';
import { readTriggers } from '../values.js';
import { DEMO_PARALLELISM, routes } from './broker.js';
import { instanceName, type DemoFunction } from './demo-function.js';
import { findOutOfOrderPair, planDeliveries, type DeliveryPlan } from './plan.js';

/** What the broker routes to one running entry. */
export interface Routed<P> {
  readonly entry: DemoFunction;
  /** Its started process (or anything the caller keeps per entry). */
  readonly process: P;
  readonly name: string;
  /** The corpus and vcsim events its Triggers select. */
  readonly events: readonly OutgoingEvent[];
  /** Its follow-ups its Triggers select (not already among `events`). */
  readonly followUps: readonly OutgoingEvent[];
}

/** One delivery of a unit: an event and the entry it goes to. */
export interface Target<P> {
  readonly to: Routed<P>;
  readonly event: OutgoingEvent;
}

/**
 * A dispatch unit: one entry, or a serial group of entries sharing one plan delivered one at a
 * time. Units are delivered in parallel.
 */
export interface DispatchUnit<P> {
  readonly members: readonly Routed<P>[];
  /** Set for a serial group. */
  readonly group?: string;
  readonly plan: DeliveryPlan<Target<P>>;
  readonly parallelism: number;
}

const identity = (event: OutgoingEvent): string =>
  `${event.attributes.source}|${event.attributes.id}`;

/**
 * Routes each source of events an entry names by its Triggers (the entry's own, else its
 * values.yaml's): exact match on every filter attribute, as a Knative Trigger filters.
 */
export function routeEvents<P>(
  running: readonly { entry: DemoFunction; process: P }[],
  sources: {
    root: string;
    corpus: readonly OutgoingEvent[];
    vcsim: readonly OutgoingEvent[];
    /** The whole corpus (quick runs too), for follow-ups. */
    fullCorpus: () => readonly OutgoingEvent[];
  },
): Routed<P>[] {
  return running.map(({ entry, process }) => {
    const triggers = entry.triggers ?? readTriggers(join(sources.root, 'functions', entry.name));
    const candidates = [
      ...(entry.events.corpus ? sources.corpus : []),
      ...(entry.events.vcsim ? sources.vcsim : []),
    ];
    const events = candidates.filter((event) => routes(event, triggers));
    const known = new Set(events.map(identity));
    const followUps = (entry.followUps?.(sources.fullCorpus()) ?? []).filter(
      (event) => routes(event, triggers) && !known.has(identity(event)),
    );
    return { entry, process, name: instanceName(entry), events, followUps };
  });
}

/**
 * The dispatch units and their seeded plans: each entry on its own (its out-of-order pair
 * first, when it has one), and each serial group as one unit over all its members' events
 * (no pair: its members' events are delivered one at a time anyway). `notes` gets why an
 * entry that asked for a pair has none.
 */
export function planUnits<P>(
  routed: readonly Routed<P>[],
  options: { seed: number; notes: string[] },
): DispatchUnit<P>[] {
  const units: DispatchUnit<P>[] = [];
  const groups = new Map<string, Routed<P>[]>();
  for (const member of routed) {
    const group = member.entry.serialGroup;
    if (group === undefined) {
      const targets = new Map(member.events.map((event) => [event, { to: member, event }]));
      const found = member.entry.outOfOrderPair ? findOutOfOrderPair(member.events) : undefined;
      if (member.entry.outOfOrderPair && found === undefined)
        options.notes.push(
          `${member.name}: no VM with two events of distinct Keys: no out-of-order pair`,
        );
      const pair = found && {
        vm: found.vm,
        newer: targets.get(found.newer)!,
        older: targets.get(found.older)!,
      };
      units.push({
        members: [member],
        plan: planDeliveries([...targets.values()], {
          seed: options.seed,
          ...(pair ? { pair } : {}),
          after: member.followUps.map((event) => ({ to: member, event })),
        }),
        parallelism: DEMO_PARALLELISM,
      });
      continue;
    }
    groups.set(group, [...(groups.get(group) ?? []), member]);
  }
  for (const [group, members] of groups) {
    units.push({
      members,
      group,
      plan: planDeliveries(
        members.flatMap((to) => to.events.map((event) => ({ to, event }))),
        {
          seed: options.seed,
          after: members.flatMap((to) => to.followUps.map((event) => ({ to, event }))),
        },
      ),
      parallelism: 1,
    });
  }
  return units;
}
