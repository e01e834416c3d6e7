import type { CloudEventLike, VSphereEventCategory } from './types.js';

const V0_PREFIX = 'com.vmware.vsphere.';
const V0_SUFFIX = '.v0';
const V0_TYPE = /^com\.vmware\.vsphere\.(\S+)\.v0$/;

/** The legacy vmware-event-router types (VEBA v0.3 - v0.7); the event class is in `subject`. */
export const LEGACY_ROUTER_TYPES: Readonly<Record<string, VSphereEventCategory>> = {
  'com.vmware.event.router/event': 'event',
  'com.vmware.event.router/eventex': 'eventex',
  'com.vmware.event.router/extendedevent': 'extendedevent',
};

/**
 * Whether `type` is a VEBA vSphere event type: `com.vmware.vsphere.<EventClass or EventTypeId>.v0`
 * or one of the legacy router types `com.vmware.event.router/event|eventex|extendedevent`.
 *
 * @example
 * isVSphereType('com.vmware.vsphere.VmPoweredOnEvent.v0'); // true
 * isVSphereType('com.vmware.harbor.push_artifact.v0');     // false
 */
export function isVSphereType(type: unknown): type is string {
  return (
    typeof type === 'string' && (V0_TYPE.test(type) || Object.hasOwn(LEGACY_ROUTER_TYPES, type))
  );
}

/**
 * The v0.8+ CloudEvent type for an event class or EventTypeId (what a Trigger filters on).
 *
 * @example
 * vsphereType('DrsVmPoweredOnEvent');           // 'com.vmware.vsphere.DrsVmPoweredOnEvent.v0'
 * vsphereType('com.vmware.cis.tagging.attach'); // 'com.vmware.vsphere.com.vmware.cis.tagging.attach.v0'
 */
export function vsphereType(eventClass: string): string {
  if (typeof eventClass !== 'string' || !/^\S+$/.test(eventClass)) {
    throw new TypeError(`not an event class: ${JSON.stringify(eventClass)}`);
  }
  return `${V0_PREFIX}${eventClass}${V0_SUFFIX}`;
}

/**
 * Which format a type belongs to, or undefined when it is not a vSphere type: for code that treats
 * the formats apart without parsing the event (the state guards' identity of legacy events).
 */
export function formatOfType(type: unknown): 'v0' | 'legacy' | undefined {
  if (typeof type !== 'string') return undefined;
  if (V0_TYPE.test(type)) return 'v0';
  return Object.hasOwn(LEGACY_ROUTER_TYPES, type) ? 'legacy' : undefined;
}

/**
 * The event class (or EventTypeId) of an event in either format, without reading `data` and without
 * throwing: from the v0 `type`, or from `subject` for a legacy router type. Undefined otherwise.
 *
 * @example
 * eventClassOf({ type: 'com.vmware.event.router/event', subject: 'VmPoweredOnEvent' }); // 'VmPoweredOnEvent'
 */
export function eventClassOf(event: Pick<CloudEventLike, 'type' | 'subject'>): string | undefined {
  const type: unknown = event.type;
  if (typeof type !== 'string') return undefined;
  const match = V0_TYPE.exec(type);
  if (match) return match[1];
  if (!Object.hasOwn(LEGACY_ROUTER_TYPES, type)) return undefined;
  const subject: unknown = event.subject;
  return typeof subject === 'string' && /^\S+$/.test(subject) ? subject : undefined;
}
