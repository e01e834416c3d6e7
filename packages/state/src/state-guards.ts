import type { EventGuard } from '@veba-functions/runtime';
import { createDedupeGuard, type DedupeOptions } from './dedupe-guard.js';
import type { GuardedEvent } from './event-fields.js';
import { createOrderingGuard, type OrderingOptions } from './ordering-guard.js';
import { StoreHolder, type StoreOptions } from './store-holder.js';
import type { StateStore } from './store.js';

/** Options of {@link createStateGuards}: `true` turns a guard on with its defaults. */
export interface StateGuardsOptions<E extends GuardedEvent = GuardedEvent> {
  dedupe?: boolean | Omit<DedupeOptions<E>, 'store' | 'storeOptions'>;
  ordering?: boolean | Omit<OrderingOptions<E>, 'store' | 'storeOptions'>;
  /** One store for both guards instead of one created from `REDIS_URL`. */
  store?: StateStore;
  storeOptions?: StoreOptions;
}

/**
 * The dedupe and ordering guards of one function, in the right order (dedupe first, so a
 * duplicate never touches the ordering mark) and sharing one store and one Redis connection.
 *
 * @example
 * export default defineFunction({
 *   name: 'vm-tag-on-power-on',
 *   guards: createStateGuards({ dedupe: true, ordering: { policy: 'skip', scope: vmScope } }),
 *   handle,
 * });
 */
export function createStateGuards<E extends GuardedEvent = GuardedEvent>(
  options: StateGuardsOptions<E>,
): Array<EventGuard<E>> {
  const holder = new StoreHolder(options.store, options.storeOptions);
  const guards: Array<EventGuard<E>> = [];
  if (options.dedupe)
    guards.push(createDedupeGuard<E>(options.dedupe === true ? {} : options.dedupe, holder));
  if (options.ordering)
    guards.push(createOrderingGuard<E>(options.ordering === true ? {} : options.ordering, holder));
  return guards;
}
