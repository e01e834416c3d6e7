import type { CloudEvent } from '@veba-functions/runtime';

/** Legacy vmware-event-router events (VEBA v0.3-v0.7) carry a random `id` per emission. */
export const LEGACY_ROUTER_PREFIX = 'com.vmware.event.router/';

/** The event's data as an object, or undefined (string payloads are parsed when they are JSON). */
export function dataObject(event: CloudEvent<unknown>): Record<string, unknown> | undefined {
  let data: unknown = event.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  return data !== null && typeof data === 'object' && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : undefined;
}

/**
 * The vCenter event `Key` (`data.Key`) as a safe integer; a decimal string is accepted. `undefined`
 * when missing or not an integer.
 */
export function vcenterEventKey(event: CloudEvent<unknown>): number | undefined {
  return toEventKey(dataObject(event)?.Key);
}

/** A number or decimal string that is a safe non-negative integer, else undefined. */
export function toEventKey(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^\d{1,16}$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER))
    return Number(value);
  return undefined;
}

/** An identity the dedupe guard records: two events with the same identity are the same event. */
export interface EventIdentity {
  source: string;
  id: string;
}

/**
 * Default identity: (`source`, `id`) as the CloudEvents spec says; for legacy router events, whose
 * `id` is random per emission, (`source`, `data.Key`). `undefined` when a legacy event has no Key.
 */
export function defaultIdentity(event: CloudEvent<unknown>): EventIdentity | undefined {
  if (event.type.startsWith(LEGACY_ROUTER_PREFIX)) {
    const key = vcenterEventKey(event);
    return key === undefined ? undefined : { source: event.source, id: String(key) };
  }
  return { source: event.source, id: event.id };
}
