export {
  VSphereEvent,
  VSphereEventData,
  parseVSphereEvent,
  parseVSphereEventData,
} from './event.js';
export { ENTITY_KINDS } from './entities.js';
export { eventKeyProblem, parseEventKey } from './event-key.js';
export { eventFamily, type EventFamily } from './families.js';
export { recordField, refName, textField } from './fields.js';
export { matchesEventClass } from './matching.js';
export { vmOrderingScope, vsphereEventParser } from './parser.js';
export type { VSphereEventParserOptions } from './parser.js';
export {
  LEGACY_ROUTER_TYPES,
  eventClassOf,
  formatOfType,
  isVSphereType,
  vsphereType,
} from './type-names.js';
export type {
  CloudEventLike,
  EntityKind,
  EntityRef,
  VSphereEventCategory,
  VSphereEventFormat,
  VSphereEventPayload,
} from './types.js';
