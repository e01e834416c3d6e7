import { InvalidEventError, isRecord } from '@veba-functions/runtime';
import { describe, nonEmptyString, readEntity } from './entities.js';
import { eventKeyProblem, parseEventKey } from './event-key.js';
import { eventFamily, type EventFamily } from './families.js';
import { recordField, refName, textField } from './fields.js';
import { LEGACY_ROUTER_TYPES, formatOfType } from './type-names.js';
import type {
  CloudEventLike,
  EntityKind,
  EntityRef,
  VSphereEventCategory,
  VSphereEventFormat,
  VSphereEventPayload,
} from './types.js';

function invalid(reason: string, cause?: unknown): InvalidEventError {
  return cause === undefined
    ? new InvalidEventError(reason)
    : new InvalidEventError(reason, { cause });
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid(`${what} is not valid JSON: ${(error as Error).message}`, error);
  }
}

/**
 * Turns `data` as it may arrive into the event object: already parsed, a JSON string (a body whose
 * content type was not recognised as JSON), bytes (Buffer / Uint8Array), or `data_base64`.
 * Throws {@link InvalidEventError} when there is no usable JSON object.
 */
export function decodeData(data: unknown, dataBase64?: unknown): VSphereEventPayload {
  let value = data;
  if ((value === undefined || value === null) && typeof dataBase64 === 'string') {
    value = parseJson(Buffer.from(dataBase64, 'base64').toString('utf8'), 'data_base64');
  } else if (typeof value === 'string') {
    value = parseJson(value, 'data');
  } else if (value instanceof Uint8Array) {
    value = parseJson(
      Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'),
      'data',
    );
  }
  if (value === undefined || value === null) throw invalid('data is missing');
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(`data is ${describe(value)}, expected a JSON object`);
  }
  return value as VSphereEventPayload;
}

/**
 * Typed, checked access to a vSphere event body (`data`). Getters never throw: a missing, null or
 * malformed field reads as `undefined`. The `require*` methods throw {@link InvalidEventError}
 * naming the field, which the runtime answers with 400.
 */
export class VSphereEventData {
  /** The decoded event body, PascalCase as vCenter sends it (for fields without an accessor). */
  readonly data: VSphereEventPayload;

  constructor(data: VSphereEventPayload) {
    this.data = data;
  }

  /** `Key`: the vCenter event id (grows per vCenter, not gap-free, int32; see {@link parseEventKey}). */
  get key(): number | undefined {
    return parseEventKey(this.data['Key']);
  }

  /** `ChainId`: the `Key` of the first event of a chain (e.g. the task that led to this event). */
  get chainId(): number | undefined {
    return parseEventKey(this.data['ChainId']);
  }

  /**
   * A top-level field as text (non-empty string, or a number / boolean as text), else undefined.
   *
   * @example event.text('To'); // 'red' for an AlarmStatusChangedEvent
   */
  text(field: string): string | undefined {
    return textField(this.data, field);
  }

  /** A top-level field that is a JSON object (e.g. `Info` of a TaskEvent), else undefined. */
  record(field: string): Record<string, unknown> | undefined {
    return recordField(this.data, field);
  }

  /**
   * The display name of a reference field, unchecked (e.g. `Alarm`, `SourceHost`, or an entity
   * whose moref is malformed): `data.<field>.Name`.
   */
  refName(field: string): string | undefined {
    return refName(this.data, field);
  }

  /** `CreatedTime` as a Date (undefined when missing or not a date). */
  get createdTime(): Date | undefined {
    const raw = this.data['CreatedTime'];
    if (typeof raw !== 'string') return undefined;
    const date = new Date(raw);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }

  /** `UserName` (empty for system events, read as undefined). */
  get userName(): string | undefined {
    return nonEmptyString(this.data['UserName']);
  }

  /** `FullFormattedMessage`: vCenter's own one-line description. */
  get fullFormattedMessage(): string | undefined {
    return nonEmptyString(this.data['FullFormattedMessage']);
  }

  /** `EventTypeId` of an EventEx / ExtendedEvent body, e.g. `com.vmware.cis.tagging.attach`. */
  get eventTypeId(): string | undefined {
    return nonEmptyString(this.data['EventTypeId']);
  }

  /**
   * An EventEx argument by key (`Arguments: [{ Key, Value }]`), e.g. `argument('userIp')`.
   * Non-string values are returned as their JSON text.
   */
  argument(key: string): string | undefined {
    const args = this.data['Arguments'];
    if (!Array.isArray(args)) return undefined;
    for (const arg of args as unknown[]) {
      if (!isRecord(arg) || arg['Key'] !== key) continue;
      const value = arg['Value'];
      if (value === undefined || value === null) return undefined;
      return typeof value === 'string' ? value : JSON.stringify(value);
    }
    return undefined;
  }

  /**
   * An entity reference when present and well-formed, otherwise undefined (never throws). Values
   * such as `"None"` (written by some PowerShell samples) count as absent.
   *
   * @example
   * const host = event.entity('Host'); // { name: 'esx01', moref: 'host-15', type: 'HostSystem' } | undefined
   */
  entity(kind: EntityKind): EntityRef | undefined {
    const ref = readEntity(this.data, kind);
    return typeof ref === 'string' ? undefined : ref;
  }

  /**
   * An entity reference, checked: present, with a well-formed moref (`Value`) and an accepted
   * `Type`. Throws {@link InvalidEventError} naming the field, e.g. `data.Host.Host.Value is missing`.
   */
  requireEntity(kind: EntityKind): EntityRef {
    const ref = readEntity(this.data, kind);
    if (typeof ref === 'string') throw invalid(ref);
    return ref;
  }

  /**
   * The VM the event is about. Throws {@link InvalidEventError} when it is missing or not a
   * VirtualMachine, e.g. `data.Vm.Vm.Type is 'HostSystem', expected 'VirtualMachine'`.
   *
   * @example
   * const { moref, name } = event.requireVm(); // moref 'vm-42' is also the REST API's VM id
   */
  requireVm(): EntityRef {
    return this.requireEntity('Vm');
  }

  /** The host the event is about; throws {@link InvalidEventError} like {@link requireVm}. */
  requireHost(): EntityRef {
    return this.requireEntity('Host');
  }

  /**
   * `Key`, checked: throws {@link InvalidEventError} when absent, not an integer or outside
   * vCenter's int32 range (`data.Key is missing`).
   */
  requireKey(): number {
    const key = this.key;
    if (key !== undefined) return key;
    throw invalid(eventKeyProblem('data.Key', this.data['Key']) ?? 'data.Key is unusable');
  }
}

/**
 * A parsed VEBA vSphere event: the envelope (format, event class, category) plus typed access to the
 * body. Create one with {@link parseVSphereEvent}.
 */
export class VSphereEvent extends VSphereEventData {
  /** `v0` (VEBA v0.8+, `com.vmware.vsphere.<Class>.v0`) or `legacy` (vmware-event-router). */
  readonly format: VSphereEventFormat;
  /** The event class, e.g. `DrsVmPoweredOnEvent`, or the EventTypeId of an EventEx/ExtendedEvent. */
  readonly eventClass: string;
  /** `event`, `eventex` or `extendedevent`. */
  readonly category: VSphereEventCategory;
  /** The CloudEvent attributes, as received. */
  readonly type: string;
  readonly source: string;
  readonly id: string;
  /** The CloudEvent this was parsed from. */
  readonly cloudEvent: CloudEventLike;

  constructor(init: {
    format: VSphereEventFormat;
    eventClass: string;
    category: VSphereEventCategory;
    type: string;
    source: string;
    id: string;
    data: VSphereEventPayload;
    cloudEvent: CloudEventLike;
  }) {
    super(init.data);
    this.format = init.format;
    this.eventClass = init.eventClass;
    this.category = init.category;
    this.type = init.type;
    this.source = init.source;
    this.id = init.id;
    this.cloudEvent = init.cloudEvent;
  }

  /**
   * The EventTypeId: `data.EventTypeId` when present, otherwise the event class of an
   * EventEx/ExtendedEvent (whose class *is* its EventTypeId). Undefined for plain events.
   */
  override get eventTypeId(): string | undefined {
    const fromData = super.eventTypeId;
    if (fromData !== undefined) return fromData;
    return this.category !== 'event' || this.eventClass.includes('.') ? this.eventClass : undefined;
  }

  /** The formatting family (see {@link eventFamily}): the one classifier every notifier uses. */
  get family(): EventFamily {
    return eventFamily(this.eventClass, super.eventTypeId);
  }
}

function requireAttribute(event: CloudEventLike, name: 'id' | 'source' | 'type'): string {
  const value: unknown = event[name];
  if (value === undefined || value === null || value === '') throw invalid(`${name} is missing`);
  if (typeof value !== 'string') throw invalid(`${name} is ${describe(value)}, expected a string`);
  return value;
}

function categoryOf(
  format: VSphereEventFormat,
  type: string,
  extension: unknown,
  eventClass: string,
  data: VSphereEventPayload,
): VSphereEventCategory {
  if (format === 'legacy') return LEGACY_ROUTER_TYPES[type] ?? 'event';
  if (extension === 'event' || extension === 'eventex' || extension === 'extendedevent')
    return extension;
  // No extension (older v0 producers, hand-made events): an EventTypeId means EventEx.
  return nonEmptyString(data['EventTypeId']) !== undefined || eventClass.includes('.')
    ? 'eventex'
    : 'event';
}

/**
 * Parses a VEBA vSphere CloudEvent in either format (v0.8+ `com.vmware.vsphere.<Class>.v0`, or the
 * legacy router's `com.vmware.event.router/event|eventex|extendedevent` with the class in
 * `subject`). Checks the envelope (`specversion` 1.0, `id`, `source`, `type`, legacy `subject`) and
 * that `data` is a JSON object (decoding a JSON string or bytes); entity fields are checked when
 * you ask for them. Throws {@link InvalidEventError} (-> 400) naming what is wrong.
 *
 * @example
 * const event = parseVSphereEvent(cloudEvent);
 * if (event.eventClass === 'DrsVmPoweredOnEvent') {
 *   const vm = event.requireVm(); // { name: 'web-01', moref: 'vm-42', type: 'VirtualMachine' }
 * }
 */
export function parseVSphereEvent(event: CloudEventLike): VSphereEvent {
  if (event instanceof VSphereEvent) return event;
  if (typeof event !== 'object' || event === null) throw invalid('the event is not an object');
  const specversion: unknown = event.specversion;
  if (specversion === undefined || specversion === null || specversion === '')
    throw invalid('specversion is missing');
  if (specversion !== '1.0')
    throw invalid(`specversion is ${describe(specversion)}, expected '1.0'`);
  const id = requireAttribute(event, 'id');
  const source = requireAttribute(event, 'source');
  const type = requireAttribute(event, 'type');
  const format = formatOfType(type);
  if (format === undefined) {
    throw invalid(
      `type ${describe(type)} is not a vSphere event type ` +
        '(expected com.vmware.vsphere.<EventClass>.v0 or com.vmware.event.router/event|eventex|extendedevent)',
    );
  }
  let eventClass: string;
  if (format === 'v0') {
    eventClass = type.slice('com.vmware.vsphere.'.length, -'.v0'.length);
  } else {
    const subject: unknown = event.subject;
    if (subject === undefined || subject === null || subject === '') {
      throw invalid(`subject is missing: a ${type} event names its event class in subject`);
    }
    if (typeof subject !== 'string' || !/^\S+$/.test(subject)) {
      throw invalid(`subject is ${describe(subject)}, expected an event class name`);
    }
    eventClass = subject;
  }
  const data = decodeData(event.data, event.data_base64);
  const extension = (event as Readonly<Record<string, unknown>>)['eventclass'];
  const category = categoryOf(format, type, extension, eventClass, data);
  return new VSphereEvent({
    format,
    eventClass,
    category,
    type,
    source,
    id,
    data,
    cloudEvent: event,
  });
}

/**
 * Typed access to a bare vSphere event body, without a CloudEvent envelope (e.g. a PowerShell test
 * payload). Accepts an object, a JSON string or bytes; throws {@link InvalidEventError} when `data`
 * is missing or not a JSON object.
 */
export function parseVSphereEventData(data: unknown): VSphereEventData {
  return new VSphereEventData(decodeData(data));
}
