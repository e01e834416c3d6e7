/**
 * The first guard of a function that batches: it announces each event to a group commit the
 * moment the event arrives, before the dedupe and ordering guards spend their Redis round trips,
 * so a batch about to go out knows that siblings are on their way (see `GroupCommit.announce`).
 */
import type { EventGuard, GuardVerdict } from '@veba-functions/runtime';
import type { Arrival } from './group-commit.js';

export interface ArrivalGuard<E extends object> extends EventGuard<E> {
  /** This event's announcement, for the handler to hand to `apply` (undefined when none was made). */
  readonly arrivalOf: (event: E) => Arrival | undefined;
}

/**
 * Creates the guard. `announce` runs for every event that reached the guards (after `init`);
 * returning undefined announces nothing. An event that ends without submitting (a duplicate,
 * stale, rejected, failed) has its announcement cancelled when the runtime settles its guards.
 *
 * @example
 * const arrivals = createArrivalGuard<VSphereEvent>(() => target?.announce('attach'));
 * defineFunction({ guards: [arrivals, ...createStateGuards({ dedupe: true })], ... });
 * // in the handler: target.apply('attach', vm, { arrival: arrivals.arrivalOf(event) })
 */
export function createArrivalGuard<E extends object>(
  announce: (event: E) => Arrival | undefined,
): ArrivalGuard<E> {
  const arrivals = new WeakMap<E, Arrival>();
  return {
    name: 'arrivals',
    enter(event): Promise<GuardVerdict> {
      let arrival: Arrival | undefined;
      try {
        arrival = announce(event);
      } catch {
        // Nothing to announce to (yet): the event is simply not waited for.
        arrival = undefined;
      }
      if (arrival === undefined) return Promise.resolve({ action: 'proceed' });
      arrivals.set(event, arrival);
      const settle = (): Promise<void> => {
        arrival.cancel();
        return Promise.resolve();
      };
      return Promise.resolve({ action: 'proceed', onSuccess: settle, onFailure: settle });
    },
    arrivalOf: (event) => arrivals.get(event),
  };
}
