import {
  parseVSphereEvent,
  vmOrderingScope,
  type VSphereEvent,
} from '@veba-functions/vsphere-events';
import type { OutgoingEvent } from '../events.js';

/** Two events for the same VM, delivered newest first: the older one must be skipped as stale. */
export interface OutOfOrderPair<E> {
  readonly vm: string;
  readonly newer: E;
  readonly older: E;
}

/**
 * The broker emulation's schedule for one function (or one serial group of functions):
 * 1. `pair` (when set), one after the other: the newer event answered before the older one is
 *    sent, as when several broker consumers race (the older can lose by any margin);
 * 2. `burst`: the other events in a seeded shuffle (out of order), every other one listed twice
 *    in a row so the two copies go out at once (a redelivery racing the first: 409, retried);
 * 3. `replay`: the first third of the shuffled order again, as VEBA replays recent events after
 *    a restart;
 * 4. `after`: events that happen later (an alarm turning green again), one at a time.
 */
export interface DeliveryPlan<E> {
  readonly pair?: OutOfOrderPair<E>;
  readonly burst: readonly E[];
  readonly replay: readonly E[];
  readonly after: readonly E[];
}

/**
 * Deterministic Fisher-Yates shuffle (mulberry32 from `seed`): the same seed gives the same order,
 * so a run can be repeated with `--seed`.
 */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/**
 * Builds the schedule (see {@link DeliveryPlan}); the pair's events are left out of the rest,
 * `after` is kept in its order.
 */
export function planDeliveries<E>(
  events: readonly E[],
  options: { seed: number; pair?: OutOfOrderPair<E>; after?: readonly E[] },
): DeliveryPlan<E> {
  const { pair } = options;
  const rest = pair ? events.filter((e) => e !== pair.newer && e !== pair.older) : events;
  const order = shuffle(rest, options.seed);
  return {
    ...(pair ? { pair } : {}),
    burst: order.flatMap((event, i) => (i % 2 === 0 ? [event, event] : [event])),
    replay: order.slice(0, Math.ceil(order.length / 3)),
    after: [...(options.after ?? [])],
  };
}

/**
 * The ordering scope (`vmOrderingScope`: what the functions' ordering guard keys by), VM moref and
 * `Key` of a vSphere event, read through the one event model, when it has all three.
 */
export function vmAndKey(
  event: OutgoingEvent,
): { scope: string; vm: string; key: number } | undefined {
  let parsed: VSphereEvent;
  try {
    parsed = parseVSphereEvent({ ...event.attributes, data: event.data });
  } catch {
    return undefined; // not a vSphere event: no VM to keep in order
  }
  const scope = vmOrderingScope(parsed);
  const vm = parsed.entity('Vm');
  const key = parsed.key;
  if (scope === undefined || vm === undefined || key === undefined) return undefined;
  return { scope, vm: vm.moref, key };
}

/**
 * The out-of-order pair for a function that keeps order per VM: the first VM (scope `source|vm`,
 * as the ordering guard keys it) with exactly two events of distinct Keys, so that no other
 * event touches that VM and the shuffle cannot decide the outcome; failing that, the first VM
 * with more (its newest and oldest). Undefined when no VM has two events.
 */
export function findOutOfOrderPair(
  events: readonly OutgoingEvent[],
): OutOfOrderPair<OutgoingEvent> | undefined {
  const byScope = new Map<string, { vm: string; events: OutgoingEvent[] }>();
  for (const event of events) {
    const read = vmAndKey(event);
    if (read === undefined) continue;
    const scope = read.scope;
    const entry = byScope.get(scope) ?? { vm: read.vm, events: [] };
    entry.events.push(event);
    byScope.set(scope, entry);
  }
  const withDistinctKeys = [...byScope.values()].filter(
    (entry) => new Set(entry.events.map((e) => vmAndKey(e)!.key)).size >= 2,
  );
  const chosen = withDistinctKeys.find((entry) => entry.events.length === 2) ?? withDistinctKeys[0];
  if (chosen === undefined) return undefined;
  const sorted = [...chosen.events].sort((a, b) => vmAndKey(a)!.key - vmAndKey(b)!.key);
  return { vm: chosen.vm, older: sorted[0]!, newer: sorted[sorted.length - 1]! };
}
