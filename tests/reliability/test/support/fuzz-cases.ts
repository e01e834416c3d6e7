/**
 * fast-check arbitraries for the fuzz: recipes (plain data, printed as the counterexample when a
 * property fails) that turn a valid event of a function into a request, in binary, structured or
 * batch mode, with awkward attributes, headers and payloads. Awkward means what the red team and
 * the specs point at: lone surrogates, control characters, Object.prototype names, percent-
 * encodings that do not decode, numbers past int32 and 2^53, deep nesting, missing and null
 * members, reserved attribute names, types that are not strings.
 */
import fc from 'fast-check';
import type { CloudEventInput } from '@veba-functions/test-helpers';

/** How the event travels. */
export type Mode = 'binary' | 'structured' | 'batch';

/** One request to send. */
export interface FuzzRequest {
  mode: Mode;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}

const LONE_SURROGATES = ['\uD800', 'a\uDBFFb', '\uDC00x', 'x\uD83D'];
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

/** Strings that broke or could break something. */
const awkwardText = fc.constantFrom(
  '',
  ' ',
  ' padded ',
  'with space',
  '\u0000',
  '\u0007bell',
  'tab\there',
  '\u007f',
  '\u0085',
  '\u2028',
  '%',
  '%zz',
  '%C3%28',
  '%ED%A0%80',
  'é',
  '日本語',
  '😀',
  'x'.repeat(3000),
  '1.0',
  '0.3',
  '2.0',
  'https://vc-01.corp.local/sdk',
  'urn:uuid:0e2f',
  '/relative/ref',
  'http://[::1',
  'not a uri',
  '2021-09-27T19:02:54.063Z',
  '2021-13-45T99:99:99Z',
  'yesterday',
  'com.vmware.vsphere.VmPoweredOnEvent.v0',
  'com.vmware.event.router/event',
  ...LONE_SURROGATES,
  ...PROTOTYPE_NAMES,
);

/** Any attribute text: awkward, random, or random code points. */
export const attributeText = fc.oneof(
  { weight: 3, arbitrary: awkwardText },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
);

/** A JSON value that is not a string (structured mode lets a sender put anything there). */
const nonString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

/** Context attribute names, the reserved members, and extension names valid or not. */
export const attributeName = fc.oneof(
  fc.constantFrom(
    'id',
    'source',
    'type',
    'specversion',
    'time',
    'subject',
    'dataschema',
    'datacontenttype',
    'data',
    'data_base64',
    'eventclass',
    'vsphereapiversion',
  ),
  fc.constantFrom(
    'with_underscore',
    'UPPER',
    'a-b',
    'x'.repeat(21),
    'knativearrivaltime',
    'traceparent',
    'prototype',
    ...PROTOTYPE_NAMES,
  ),
  fc.stringMatching(/^[a-z0-9]{1,20}$/),
  fc.string({ maxLength: 8 }),
);

/** What happens to one attribute. */
export type AttributeChange =
  | { name: string; op: 'delete' }
  | { name: string; op: 'set'; value: string }
  | { name: string; op: 'set-json'; value: unknown };

const attributeChange: fc.Arbitrary<AttributeChange> = fc.oneof(
  fc.record({ name: attributeName, op: fc.constant('delete' as const) }),
  fc.record({ name: attributeName, op: fc.constant('set' as const), value: attributeText }),
  fc.record({ name: attributeName, op: fc.constant('set-json' as const), value: nonString }),
);

/** Deeply nested JSON, as text (JSON.stringify would overflow on the deepest ones). */
export function nested(depth: number, inner = '1'): string {
  return `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
}

/** What happens to the payload. */
export type PayloadChange =
  | { op: 'keep' }
  | { op: 'none' }
  | { op: 'replace'; value: unknown }
  | { op: 'field'; field: string; value: unknown }
  | { op: 'field-delete'; field: string }
  | { op: 'nest'; depth: number; where: 'whole' | 'field' }
  | { op: 'raw'; text: string }
  | { op: 'bytes'; bytes: number[] };

const DATA_FIELDS = [
  'Key',
  'ChainId',
  'CreatedTime',
  'UserName',
  'Vm',
  'Host',
  'Datacenter',
  'ComputeResource',
  'FullFormattedMessage',
  'To',
  'From',
  'Alarm',
  'Entity',
  'EventTypeId',
  'Arguments',
  'Info',
  ...PROTOTYPE_NAMES,
];

/** Values a vSphere field may carry that its reader must survive. */
const fieldValue = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    0,
    -1,
    1.5,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 53 - 1,
    1e308,
    '123',
    '',
    [],
    {},
    { Vm: null },
    { Name: null, Vm: { Type: 'VirtualMachine', Value: null } },
    { Name: '__proto__', Vm: { Type: 'VirtualMachine', Value: 'constructor' } },
    { Name: 'x', Vm: { Type: 'HostSystem', Value: 'host-1' } },
    { Name: 'x', Host: { Type: 'HostSystem', Value: '' } },
    { Name: 'alarm', Alarm: { Type: 'Alarm', Value: 'alarm-1' } },
    'toString',
    'constructor',
    'red',
    'green',
  ),
  attributeText,
  fc
    .tuple(fc.string({ maxLength: 10 }), attributeText)
    .map(([name, value]) => ({ Name: name, Vm: { Type: 'VirtualMachine', Value: value } })),
  fc.jsonValue({ maxDepth: 3 }),
);

const payloadChange: fc.Arbitrary<PayloadChange> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ op: 'keep' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'none' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('replace' as const),
      value: fc.jsonValue({ maxDepth: 4 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('field' as const),
      field: fc.constantFrom(...DATA_FIELDS),
      value: fieldValue,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('field-delete' as const),
      field: fc.constantFrom(...DATA_FIELDS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('nest' as const),
      depth: fc.constantFrom(10, 62, 63, 64, 65, 66, 400, 10_000),
      where: fc.constantFrom('whole' as const, 'field' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('raw' as const),
      text: fc.oneof(
        fc.constantFrom(
          '',
          'null',
          '[]',
          '"text"',
          'REPLACE-ME',
          '{"Key":1}garbage',
          '\uFEFF{"Key":1}',
          '{"Key":',
          '"\\ud800"',
          '{"__proto__":{"Key":1}}',
          '{"Vm":{"Vm":{"Value":"\\udc00"}}}',
        ),
        fc.string({ maxLength: 30 }),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('bytes' as const),
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }),
    }),
  },
);

/** Content types a sender may put on a binary-mode body. */
const contentType = fc.constantFrom<string | undefined>(
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'text/json',
  'application/vnd.vmware+json',
  'text/plain',
  'application/xml',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  '',
  undefined,
  'application/cloudevents+json',
  'application/cloudevents-batch+json',
);

/** How a binary-mode attribute value is written into its header. */
export type HeaderEncoding = 'binding' | 'raw-latin1' | 'broken-percent';

/**
 * Event classes VEBA delivers that take other paths in the functions than the base event's
 * (alarms, maintenance marks, SSO, HA, EventEx, tasks), and Object.prototype names.
 */
const EVENT_CLASSES = [
  'AlarmStatusChangedEvent',
  'EnteredMaintenanceModeEvent',
  'ExitMaintenanceModeEvent',
  'EnteringMaintenanceModeEvent',
  'com.vmware.sso.LoginFailure',
  'com.vmware.vc.HA.VmRestartedByHAEvent',
  'com.vmware.applmgmt.backup.job.failed.event',
  'com.vmware.cis.tagging.attach',
  'TaskEvent',
  'VmReconfiguredEvent',
  'VmRemovedEvent',
  'VmMigratedEvent',
  'DrsVmPoweredOnEvent',
  'VmCreatedEvent',
  'VmClonedEvent',
  ...PROTOTYPE_NAMES,
];

/** Another event class, as a v0.8 type or as the legacy router sends it. */
export interface Retype {
  eventClass: string;
  legacy: boolean;
}

/** A recipe: which mode, what changes to attributes, headers and payload. */
export interface Recipe {
  mode: Mode;
  /** Send the event as another class (before the attribute changes). */
  retype: Retype | null;
  attributes: AttributeChange[];
  payload: PayloadChange;
  contentType: string | undefined;
  encoding: HeaderEncoding;
  /** Batch mode: the other members (each its own changes), and where the event goes. */
  batch: {
    members: Array<{ attributes: AttributeChange[]; payload: PayloadChange }>;
    notArray: boolean;
  };
}

const member = fc.record({
  attributes: fc.array(attributeChange, { maxLength: 3 }),
  payload: payloadChange,
});

/**
 * A recipe for `mode` (or any mode). `focus` weights the changes: `attributes` changes several
 * attributes and leaves the payload alone more often; `payload` the other way round; `headers`
 * varies content types and header encodings.
 */
export function recipe(focus: 'attributes' | 'headers' | 'payload'): fc.Arbitrary<Recipe> {
  return fc.record({
    mode: fc.constantFrom<Mode>('binary', 'binary', 'structured', 'batch'),
    retype: fc.option(
      fc.record({ eventClass: fc.constantFrom(...EVENT_CLASSES), legacy: fc.boolean() }),
      { freq: 2 },
    ),
    attributes: fc.array(attributeChange, {
      minLength: focus === 'attributes' ? 1 : 0,
      maxLength: focus === 'attributes' ? 4 : 1,
    }),
    payload: focus === 'payload' ? payloadChange : fc.constant({ op: 'keep' as const }),
    contentType:
      focus === 'headers' ? contentType : fc.constant<string | undefined>('application/json'),
    encoding:
      focus === 'headers'
        ? fc.constantFrom<HeaderEncoding>('binding', 'raw-latin1', 'broken-percent')
        : fc.constant<HeaderEncoding>('binding'),
    batch: fc.record({
      members: fc.array(member, { maxLength: 3 }),
      notArray: fc.boolean().map((b) => b && focus !== 'attributes'),
    }),
  });
}

type Attributes = Record<string, unknown>;

function applyAttributes(attributes: Attributes, changes: readonly AttributeChange[]): Attributes {
  const out: Attributes = { ...attributes };
  for (const change of changes) {
    if (change.name === '__proto__') {
      // An own "__proto__" member, as JSON.parse makes one (assignment would set the prototype).
      Object.defineProperty(out, '__proto__', {
        value: change.op === 'delete' ? undefined : change.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      continue;
    }
    if (change.op === 'delete') delete out[change.name];
    else out[change.name] = change.value;
  }
  return out;
}

/** The payload as JSON text (undefined: no body), or bytes. */
function payloadText(data: unknown, change: PayloadChange): string | Buffer | undefined {
  switch (change.op) {
    case 'keep':
      return JSON.stringify(data);
    case 'none':
      return undefined;
    case 'replace':
      return JSON.stringify(change.value);
    case 'field':
      return JSON.stringify(withField(data, change.field, change.value));
    case 'field-delete': {
      const copy = { ...(data as Record<string, unknown>) };
      delete copy[change.field];
      return JSON.stringify(copy);
    }
    case 'nest':
      return change.where === 'whole'
        ? nested(change.depth)
        : JSON.stringify(data).replace(/^\{/, `{"Deep":${nested(change.depth)},`);
    case 'raw':
      return change.text;
    case 'bytes':
      return Buffer.from(change.bytes);
  }
}

function withField(data: unknown, field: string, value: unknown): unknown {
  const copy: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  Object.defineProperty(copy, field, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

/** One structured event's JSON text: attributes and the payload as `data`. */
function structuredText(attributes: Attributes, data: unknown, change: PayloadChange): string {
  const members = JSON.stringify(attributes);
  const payload = payloadText(data, change);
  if (payload === undefined) return members;
  const text = Buffer.isBuffer(payload) ? JSON.stringify(payload.toString('latin1')) : payload;
  // Spliced as text: the payload may be malformed JSON on purpose (then the envelope is too).
  return members === '{}' ? `{"data":${text}}` : `${members.slice(0, -1)},"data":${text}}`;
}

/** WTF-8 bytes of a code point (a lone surrogate encodes like any other BMP code point). */
function wtf8(codePoint: number): number[] {
  if (codePoint < 0x80) return [codePoint];
  if (codePoint < 0x800) return [0xc0 | (codePoint >> 6), 0x80 | (codePoint & 0x3f)];
  if (codePoint < 0x10000)
    return [0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f)];
  return [
    0xf0 | (codePoint >> 18),
    0x80 | ((codePoint >> 12) & 0x3f),
    0x80 | ((codePoint >> 6) & 0x3f),
    0x80 | (codePoint & 0x3f),
  ];
}

/**
 * An attribute value as a header value Node will send: `binding` percent-encodes what the HTTP
 * binding says (non-printable, non-ASCII, `%`, `"`; a lone surrogate as its WTF-8 bytes, which
 * are not UTF-8); `raw-latin1` sends characters up to U+00FF as raw bytes; `broken-percent` adds
 * an escape that does not decode.
 */
export function headerValue(value: string, encoding: HeaderEncoding): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    const printable = code >= 0x20 && code <= 0x7e && ch !== '%' && ch !== '"';
    if (printable || (encoding === 'raw-latin1' && code >= 0xa0 && code <= 0xff && ch !== '%')) {
      out += ch;
      continue;
    }
    out += wtf8(code)
      .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join('');
  }
  return encoding === 'broken-percent' ? `${out}%G1` : out;
}

/** A header name Node accepts (an HTTP token). */
function isToken(name: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name);
}

/**
 * The event as another class: a v0.8 type, or the legacy router's (`com.vmware.event.router/...`,
 * the class in `subject`, a random id per emission); an EventEx class also gets its EventTypeId.
 */
function retyped(event: CloudEventInput, retype: Retype | null): CloudEventInput {
  if (retype === null) return event;
  const dotted = retype.eventClass.includes('.');
  const data = dotted
    ? { ...(event.data as Record<string, unknown>), EventTypeId: retype.eventClass }
    : event.data;
  if (!retype.legacy) {
    return { ...event, type: `com.vmware.vsphere.${retype.eventClass}.v0`, data };
  }
  return {
    ...event,
    id: `${event.id}-${retype.eventClass.length}-legacy`,
    type: `com.vmware.event.router/${dotted ? 'eventex' : 'event'}`,
    subject: retype.eventClass,
    data,
  };
}

/** The request a recipe makes of a valid event. */
export function buildRequest(event: CloudEventInput, r: Recipe): FuzzRequest {
  const { data, ...base } = { specversion: '1.0', ...retyped(event, r.retype) } as Attributes & {
    data?: unknown;
  };
  if (r.mode === 'binary') {
    const attributes = applyAttributes(base, r.attributes);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || name === 'datacontenttype' || !isToken(`ce-${name}`)) continue;
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      headers[`ce-${name}`] = headerValue(text ?? '', r.encoding);
    }
    // A sender that sets ce-datacontenttype in binary mode breaks the binding: keep it when asked.
    const explicit = r.attributes.find((c) => c.name === 'datacontenttype' && c.op !== 'delete');
    if (explicit !== undefined && 'value' in explicit) {
      const text =
        typeof explicit.value === 'string' ? explicit.value : JSON.stringify(explicit.value);
      headers['ce-datacontenttype'] = headerValue(text ?? '', r.encoding);
    }
    if (r.contentType !== undefined) headers['content-type'] = r.contentType;
    return { mode: 'binary', headers, body: payloadText(data, r.payload) };
  }
  if (r.mode === 'structured') {
    const attributes = applyAttributes(base, r.attributes);
    return {
      mode: 'structured',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: structuredText(attributes, data, r.payload),
    };
  }
  const own = structuredText(applyAttributes(base, r.attributes), data, r.payload);
  const others = r.batch.members.map((m, i) =>
    structuredText(
      applyAttributes({ ...base, id: `${String(base.id)}-m${i}` }, m.attributes),
      data,
      m.payload,
    ),
  );
  const body = r.batch.notArray ? own : `[${[own, ...others].join(',')}]`;
  return {
    mode: 'batch',
    headers: { 'content-type': 'application/cloudevents-batch+json' },
    body,
  };
}
