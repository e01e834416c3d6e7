import { deliverEvent, type DeliveryOptions, type DeliveryResult } from '../delivery.js';
import type { OutgoingEvent } from '../events.js';
import { pool } from '../pool.js';
import type { TriggerSummary } from '../values.js';
import type { DeliveryPlan } from './plan.js';

/** The demo's Trigger delivery: a patient retry policy (Knative exponential backoff). */
export const DEMO_DELIVERY: DeliveryOptions = {
  retries: 6,
  backoffPolicy: 'exponential',
  backoffDelayMs: 250,
  timeoutMs: 60_000,
};

/** Deliveries in flight at once, per function (a Trigger's dispatcher with parallelism 6). */
export const DEMO_PARALLELISM = 6;

/**
 * Whether the broker routes `event` to a function with these Triggers. A Trigger's filter matches
 * when the event has every attribute it names with exactly that string value; a Trigger without
 * a filter gets every event (knative/docs `docs/eventing/triggers/README.md`, "Trigger
 * Filtering"). A function without Triggers gets nothing.
 */
export function routes(event: OutgoingEvent, triggers: readonly TriggerSummary[]): boolean {
  return triggers.some((trigger) =>
    Object.entries(trigger.attributes).every(
      ([name, value]) => Object.hasOwn(event.attributes, name) && event.attributes[name] === value,
    ),
  );
}

/** One delivery of a plan: what was sent and its final result (after retries). */
export interface Delivery<T> {
  readonly item: T;
  readonly result: DeliveryResult;
}

/** Every delivery of a plan, in plan order, and the two answers of its out-of-order pair. */
export interface DispatchResult<T> {
  readonly deliveries: readonly Delivery<T>[];
  /** `[newer, older]`, when the plan has a pair. */
  readonly pairResults?: readonly [DeliveryResult, DeliveryResult];
}

/** Sends one event to `url` as the demo's Trigger does (`deliverEvent` with DEMO_DELIVERY). */
export function sendTo(
  url: string,
  options: { delivery?: DeliveryOptions; signal?: AbortSignal } = {},
): (event: OutgoingEvent) => Promise<DeliveryResult> {
  const delivery = { ...(options.delivery ?? DEMO_DELIVERY), signal: options.signal };
  return (event) => deliverEvent(url, event, delivery);
}

/**
 * Delivers a plan in its order: the pair one after the other, the burst and the replay with
 * `parallelism` in flight (default DEMO_PARALLELISM), then `after` one at a time. `send` makes
 * one delivery of an item (e.g. {@link sendTo}).
 */
export async function dispatchPlan<T>(
  plan: DeliveryPlan<T>,
  send: (item: T) => Promise<DeliveryResult>,
  options: { parallelism?: number } = {},
): Promise<DispatchResult<T>> {
  const parallelism = options.parallelism ?? DEMO_PARALLELISM;
  const deliver = async (item: T): Promise<Delivery<T>> => ({ item, result: await send(item) });
  let pair: [Delivery<T>, Delivery<T>] | undefined;
  if (plan.pair) {
    const newer = await deliver(plan.pair.newer);
    pair = [newer, await deliver(plan.pair.older)];
  }
  const burst = await pool(plan.burst, parallelism, deliver);
  const replay = await pool(plan.replay, parallelism, deliver);
  const after = await pool(plan.after, 1, deliver);
  return {
    deliveries: [...(pair ?? []), ...burst, ...replay, ...after],
    ...(pair ? { pairResults: [pair[0].result, pair[1].result] as const } : {}),
  };
}
