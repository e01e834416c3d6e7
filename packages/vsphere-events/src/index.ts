export {
  VSphereEvent,
  VSphereEventData,
  decodeData,
  parseVSphereEvent,
  parseVSphereEventData,
} from './event.js';
export { ENTITY_KINDS } from './entities.js';
export { eventFamily, type EventFamily } from './families.js';
export { matchesEventClass } from './matching.js';
export { LEGACY_ROUTER_TYPES, eventClassOf, isVSphereType, vsphereType } from './type-names.js';
export type {
  CloudEventLike,
  EntityKind,
  EntityRef,
  VSphereEventCategory,
  VSphereEventFormat,
  VSphereEventPayload,
} from './types.js';
