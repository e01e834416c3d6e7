import { CloudEvent, ValidationError } from 'cloudevents';
import { InvalidEventError } from './errors.js';

/** The attribute names of the headers every broker delivery carries, as Knative spells them. */
const CE_HEADER_NAMES = new Map(
  ['id', 'source', 'type', 'specversion', 'time', 'subject', 'dataschema'].flatMap((name) => [
    [`ce-${name}`, name],
    [`Ce-${name[0]!.toUpperCase()}${name.slice(1)}`, name],
  ]),
);

/** What the request head says, read from `rawHeaders` in one pass (cheaper than `req.headers`). */
export interface RequestHead {
  contentType: string | undefined;
  contentLength: number | undefined;
  /** `ce-*` headers, prefix stripped and lower-cased; undefined when there are none. */
  ce: Record<string, string> | undefined;
}

/** The attributes a rejection is logged with. */
export interface EventIdentity {
  id?: string | undefined;
  type?: string | undefined;
  source?: string | undefined;
}

/** An event that cannot be accepted, with the reason the sender is told. */
export interface Rejection {
  readonly invalid: string;
  readonly identity: EventIdentity;
}

export type ParsedRequest =
  | { mode: 'binary' | 'structured'; event: CloudEvent<unknown> | Rejection }
  | { mode: 'batch'; events: Array<CloudEvent<unknown> | Rejection> }
  | { mode: 'none'; rejection: Rejection };

const STRUCTURED = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';

export function isRejection(value: unknown): value is Rejection {
  return (
    typeof value === 'object' && value !== null && typeof (value as Rejection).invalid === 'string'
  );
}

/** Reads content-type, content-length and the `ce-*` headers from Node's raw header list. */
export function readHead(rawHeaders: readonly string[]): RequestHead {
  let contentType: string | undefined;
  let contentLength: number | undefined;
  let ce: Record<string, string> | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    const first = name.charCodeAt(0) | 0x20;
    if (first === 0x63 /* c */) {
      if (
        name.length > 3 &&
        (name.charCodeAt(1) | 0x20) === 0x65 &&
        name.charCodeAt(2) === 0x2d /* ce- */
      ) {
        ce ??= {};
        const attribute = CE_HEADER_NAMES.get(name) ?? name.slice(3).toLowerCase();
        ce[attribute] = value.includes('%') ? percentDecode(value) : value;
      } else if (name.length === 12 && name.toLowerCase() === 'content-type') {
        contentType = value;
      } else if (name.length === 14 && name.toLowerCase() === 'content-length') {
        const n = Number(value);
        contentLength = Number.isFinite(n) ? n : undefined;
      }
    }
  }
  return { contentType, contentLength, ce };
}

function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

function isJsonMediaType(media: string): boolean {
  return media === 'application/json' || media.endsWith('+json') || media === 'text/json';
}

/** Attributes the SDK's constructor stores as properties of their own (everything else is an extension). */
const KNOWN_ATTRIBUTES = new Set([
  'id',
  'time',
  'type',
  'source',
  'specversion',
  'datacontenttype',
  'subject',
  'datacontentencoding',
  'dataschema',
  'data_base64',
  'schemaurl',
  'data',
]);

/**
 * The same frozen object `new CloudEvent(attrs, false)` builds, without its costs (a copy of the
 * attributes, a `delete` per attribute, a regex per extension). Binary data (a Buffer) still goes
 * through the SDK, which also fills `data_base64`. A missing `time` is filled with the arrival
 * time, as the SDK does.
 */
export function buildEvent(attrs: Record<string, unknown>): CloudEvent<unknown> {
  if (Buffer.isBuffer(attrs.data) || attrs.data_base64 !== undefined)
    return new CloudEvent<unknown>(attrs, false);
  const event = Object.create(CloudEvent.prototype) as Record<string, unknown>;
  assignAttributes(event, attrs);
  event.data = attrs.data;
  copyExtensions(event, attrs);
  return Object.freeze(event) as unknown as CloudEvent<unknown>;
}

function assignAttributes(event: Record<string, unknown>, attrs: Record<string, unknown>): void {
  event.id = attrs.id;
  event.time = attrs.time || new Date().toISOString();
  event.type = attrs.type;
  event.source = attrs.source;
  event.specversion = attrs.specversion;
  event.datacontenttype = attrs.datacontenttype;
  event.subject = attrs.subject;
  event.datacontentencoding = attrs.datacontentencoding;
  event.dataschema = attrs.dataschema;
  event.data_base64 = undefined;
  event.schemaurl = attrs.schemaurl;
}

function copyExtensions(event: Record<string, unknown>, attrs: Record<string, unknown>): void {
  for (const key in attrs) {
    if (!KNOWN_ATTRIBUTES.has(key)) event[key] = attrs[key];
  }
}

/**
 * A binary-mode event with a JSON body: a CloudEvent (its prototype chain includes
 * CloudEvent.prototype) whose `data` is parsed on first read, then cached. A body that is not
 * JSON throws InvalidEventError (400) when read; a handler that never reads it is not failed for
 * a payload it does not use. A class rather than per-object accessors: V8 keeps one fast shape
 * for every instance, which made building the event the largest runtime cost per request.
 */
class JsonBodyEvent {
  [attribute: string]: unknown;
  readonly #body: Buffer;
  #parsed = false;
  #value: unknown;
  #failure: string | undefined;

  constructor(attrs: Record<string, unknown>, body: Buffer) {
    this.#body = body;
    assignAttributes(this, attrs);
    copyExtensions(this, attrs);
    Object.freeze(this);
  }

  get data(): unknown {
    if (!this.#parsed) {
      this.#parsed = true;
      try {
        this.#value = JSON.parse(this.#body.toString('utf8'));
      } catch (error) {
        this.#failure = `data is not valid JSON: ${(error as Error).message}`;
      }
    }
    if (this.#failure !== undefined) throw new InvalidEventError(this.#failure);
    return this.#value;
  }

  /** `data` lives on the prototype, so the SDK's `{ ...this }` would miss it. */
  toJSON(): Record<string, unknown> {
    const json = CloudEvent.prototype.toJSON.call(this);
    json.data = this.data;
    return json;
  }

  cloneWith(options: Record<string, unknown>, strict = true): CloudEvent<unknown> {
    return CloudEvent.cloneWith(
      { ...this, data: this.data } as unknown as CloudEvent<unknown>,
      options,
      strict,
    );
  }

  static rawBody(event: unknown): Buffer | undefined {
    return event instanceof JsonBodyEvent ? event.#body : undefined;
  }
}
Object.setPrototypeOf(JsonBodyEvent.prototype, CloudEvent.prototype);

function jsonBodyEvent(attrs: Record<string, unknown>, body: Buffer): CloudEvent<unknown> {
  return new JsonBodyEvent(attrs, body) as unknown as CloudEvent<unknown>;
}

/**
 * The JSON body of a binary-mode event: the bytes as they arrived, not parsed (do not modify
 * them); undefined for other events. For handlers that only pass the payload on or log it:
 * reading `event.data` parses the body (once), which is most of the runtime's per-event cost.
 *
 * @example
 * const text = rawData(event)?.toString('utf8') ?? JSON.stringify(event.data);
 */
export function rawData(event: CloudEvent<unknown>): Buffer | undefined {
  return JsonBodyEvent.rawBody(event);
}

function reject(invalid: string, identity: EventIdentity): Rejection {
  return { invalid, identity };
}

/** The required-attribute check shared by every mode; returns the reason or undefined. */
function missingAttribute(attrs: Record<string, unknown>): string | undefined {
  const specversion = attrs.specversion;
  if (specversion === undefined || specversion === '')
    return 'missing required attribute specversion';
  if (specversion !== '1.0')
    return `unsupported specversion ${JSON.stringify(specversion)} (only 1.0 is accepted)`;
  for (const name of ['id', 'source', 'type'] as const) {
    const value = attrs[name];
    if (value === undefined || value === null || value === '')
      return `missing required attribute ${name}`;
    if (typeof value !== 'string') return `attribute ${name} must be a string`;
  }
  return undefined;
}

function identityOf(attrs: Record<string, unknown>): EventIdentity {
  const pick = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return { id: pick(attrs.id), type: pick(attrs.type), source: pick(attrs.source) };
}

/**
 * Binary mode, the path every broker delivery takes: attributes straight from the headers,
 * the body parsed once by its content type, and the SDK's validation skipped (we check what
 * matters ourselves; the SDK would invent an id and accept 0.3).
 */
function parseBinary(
  ce: Record<string, string>,
  contentType: string | undefined,
  body: Buffer,
): CloudEvent<unknown> | Rejection {
  const attrs: Record<string, unknown> = ce;
  const missing = missingAttribute(attrs);
  if (missing !== undefined) return reject(missing, identityOf(attrs));
  if (attrs.schemaurl !== undefined)
    return reject(
      'schemaurl is not a CloudEvents 1.0 attribute (use dataschema)',
      identityOf(attrs),
    );
  const media = mediaType(contentType);
  if (contentType !== undefined) attrs.datacontenttype = contentType;
  if (body.length > 0) {
    if (isJsonMediaType(media)) {
      return jsonBodyEvent(attrs, body);
    } else if (media === '') {
      // No content type: VEBA always sends JSON, so try it, and keep the text otherwise.
      const text = body.toString('utf8');
      try {
        attrs.data = JSON.parse(text);
      } catch {
        attrs.data = text;
      }
    } else if (media.startsWith('text/') || media === 'application/xml') {
      attrs.data = body.toString('utf8');
    } else {
      attrs.data = body;
    }
  } else if (isJsonMediaType(media)) {
    return reject('empty body with a JSON content type', identityOf(attrs));
  }
  return buildEvent(attrs);
}

/** One structured event (also a batch member): our strict checks first, then the SDK's schema validation. */
function structuredEvent(value: unknown): CloudEvent<unknown> | Rejection {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return reject('a structured event must be a JSON object', {});
  }
  const attrs = value as Record<string, unknown>;
  const missing = missingAttribute(attrs);
  if (missing !== undefined) return reject(missing, identityOf(attrs));
  try {
    return new CloudEvent<unknown>(attrs, true);
  } catch (error) {
    const detail =
      error instanceof ValidationError && Array.isArray(error.errors) && error.errors.length > 0
        ? `${error.message}: ${JSON.stringify(error.errors)}`
        : (error as Error).message;
    return reject(`invalid CloudEvent: ${detail}`, identityOf(attrs));
  }
}

function parseJson(body: Buffer): { value: unknown } | { error: string } {
  if (body.length === 0) return { error: 'empty body' };
  try {
    return { value: JSON.parse(body.toString('utf8')) };
  } catch (error) {
    return { error: `malformed JSON: ${(error as Error).message}` };
  }
}

/** Turns a request into CloudEvents (or rejections), strictly: CloudEvents 1.0 with id, source and type. */
export function parseRequest(head: RequestHead, body: Buffer): ParsedRequest {
  const media = mediaType(head.contentType);
  if (media === STRUCTURED) {
    const parsed = parseJson(body);
    if ('error' in parsed) return { mode: 'structured', event: reject(parsed.error, {}) };
    return { mode: 'structured', event: structuredEvent(parsed.value) };
  }
  if (media === BATCH) {
    const parsed = parseJson(body);
    if ('error' in parsed) return { mode: 'none', rejection: reject(parsed.error, {}) };
    if (!Array.isArray(parsed.value))
      return { mode: 'none', rejection: reject('a batch must be a JSON array', {}) };
    return { mode: 'batch', events: parsed.value.map(structuredEvent) };
  }
  if (head.ce !== undefined)
    return { mode: 'binary', event: parseBinary(head.ce, head.contentType, body) };
  if (body.length === 0)
    return { mode: 'none', rejection: reject('empty body and no ce-* headers', {}) };
  return {
    mode: 'none',
    rejection: reject(
      'no CloudEvent attributes: send ce-* headers (binary mode) or content-type application/cloudevents+json (structured mode)',
      {},
    ),
  };
}
