import { VSphereEvent } from './event.js';
import { eventClassOf } from './type-names.js';
import type { CloudEventLike } from './types.js';

/**
 * Whether an event (a CloudEvent in either format, or a parsed {@link VSphereEvent}) has one of the
 * given event classes. Reads only `type`/`subject`, never `data`, and never throws.
 *
 * @example
 * if (!matchesEventClass(event, ['VmPoweredOnEvent', 'DrsVmPoweredOnEvent'])) return { skipped: 'not a power-on' };
 */
export function matchesEventClass(
  event: CloudEventLike | VSphereEvent,
  classes: readonly string[] | ReadonlySet<string>,
): boolean {
  const eventClass = event instanceof VSphereEvent ? event.eventClass : eventClassOf(event);
  if (eventClass === undefined) return false;
  return Array.isArray(classes)
    ? classes.includes(eventClass)
    : (classes as ReadonlySet<string>).has(eventClass);
}
