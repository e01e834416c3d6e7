/**
 * The subset of a CloudEvent this package reads. A `CloudEvent<unknown>` from the cloudevents SDK
 * satisfies it, and so does a plain object (a structured-mode JSON body, a test fixture).
 * Values are checked at run time: nothing here is trusted to have the declared type.
 */
export interface CloudEventLike {
  readonly specversion?: string | undefined;
  readonly id?: string | undefined;
  readonly source?: string | undefined;
  readonly type?: string | undefined;
  readonly subject?: string | undefined;
  readonly time?: string | undefined;
  readonly datacontenttype?: string | undefined;
  readonly data?: unknown;
  readonly data_base64?: string | undefined;
}

/** Which of the two VEBA event formats an event arrived in. */
export type VSphereEventFormat = 'v0' | 'legacy';

/**
 * The vSphere event category, from the `eventclass` extension (v0) or the router type (legacy):
 * a plain `Event` subclass, an `EventEx` or an `ExtendedEvent` (the last two carry `EventTypeId`).
 */
export type VSphereEventCategory = 'event' | 'eventex' | 'extendedevent';

/** The entity references every vSphere event carries (each may be null). */
export type EntityKind = 'Vm' | 'Host' | 'Datacenter' | 'ComputeResource' | 'Ds' | 'Net' | 'Dvs';

/** A checked entity reference: `data.Vm` -> `{ name: 'web-01', moref: 'vm-42', type: 'VirtualMachine' }`. */
export interface EntityRef {
  /** The inventory name, when the event carries one. */
  readonly name: string | undefined;
  /** The managed object id (`Value`), e.g. `vm-42`; also the vSphere REST API id. */
  readonly moref: string;
  /** The managed object type, e.g. `VirtualMachine`. */
  readonly type: string;
}

/** The vSphere event body (`data`), PascalCase as VEBA sends it. Read it through the accessors. */
export type VSphereEventPayload = Readonly<Record<string, unknown>>;
