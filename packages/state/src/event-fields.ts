import { InvalidEventError, isRecord } from '@veba-functions/runtime';
import { eventKeyProblem, formatOfType, parseEventKey } from '@veba-functions/vsphere-events';

/**
 * What the guards read from an event. A CloudEvent has these attributes, and so does a parsed
 * `VSphereEvent` (whose `data` is the decoded payload): guards work on the function's event model.
 */
export interface GuardedEvent {
  readonly source: string;
  readonly id: string;
  readonly type: string;
  readonly data?: unknown;
}

/**
 * The vCenter event `Key` (`data.Key`), parsed by the one Key parser
 * (`parseEventKey` of `@veba-functions/vsphere-events`). `undefined` when absent; a Key that is
 * present but unusable (not an integer, outside vCenter's int32 range) throws
 * `InvalidEventError` (400): such an event cannot come from vCenter, and letting it through
 * unchecked would let it move an ordering mark.
 */
export function vcenterEventKey(event: GuardedEvent): number | undefined {
  if (!isRecord(event.data) || !Object.hasOwn(event.data, 'Key')) return undefined;
  const raw = event.data.Key;
  if (raw === undefined || raw === null) return undefined;
  const key = parseEventKey(raw);
  if (key === undefined) throw new InvalidEventError(eventKeyProblem('data.Key', raw)!);
  return key;
}

/** An identity the dedupe guard records: two events with the same identity are the same event. */
export interface EventIdentity {
  source: string;
  id: string;
}

/**
 * Default identity: (`source`, `id`) as the CloudEvents spec says; for legacy router events, whose
 * `id` is random per emission, (`source`, `data.Key`). `undefined` when a legacy event has no Key.
 * Exported for an `identity` option that refines it rather than replacing it.
 */
export function defaultIdentity(event: GuardedEvent): EventIdentity | undefined {
  if (formatOfType(event.type) === 'legacy') {
    const key = vcenterEventKey(event);
    return key === undefined ? undefined : { source: event.source, id: String(key) };
  }
  return { source: event.source, id: event.id };
}
