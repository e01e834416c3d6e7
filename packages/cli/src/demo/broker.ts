import { deliverEvent, type DeliveryOptions, type DeliveryResult } from '../delivery.js';
import type { OutgoingEvent } from '../events.js';
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

/** Runs `work` over `items` with at most `concurrency` in flight; results in item order. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** Every delivery of a plan, and the two answers of its out-of-order pair. */
export interface DispatchResult {
  readonly results: readonly DeliveryResult[];
  /** `[newer, older]`, when the plan has a pair. */
  readonly pairResults?: readonly [DeliveryResult, DeliveryResult];
}

/** Delivers a plan to `url` in its order (pair, burst, replay) with `deliverEvent`. */
export async function dispatchPlan(
  url: string,
  plan: DeliveryPlan<OutgoingEvent>,
  options: { delivery?: DeliveryOptions; parallelism?: number; signal?: AbortSignal } = {},
): Promise<DispatchResult> {
  const delivery = { ...(options.delivery ?? DEMO_DELIVERY), signal: options.signal };
  const parallelism = options.parallelism ?? DEMO_PARALLELISM;
  const send = (event: OutgoingEvent): Promise<DeliveryResult> =>
    deliverEvent(url, event, delivery);
  let pairResults: [DeliveryResult, DeliveryResult] | undefined;
  if (plan.pair) {
    const newer = await send(plan.pair.newer);
    pairResults = [newer, await send(plan.pair.older)];
  }
  const burst = await pool(plan.burst, parallelism, send);
  const replay = await pool(plan.replay, parallelism, send);
  return {
    results: [...(pairResults ?? []), ...burst, ...replay],
    ...(pairResults ? { pairResults } : {}),
  };
}
