import { CloudEvent } from 'cloudevents';
import { InvalidEventError } from './errors.js';
import { attributeNameProblem, attributeProblem, stringProblem } from './event-attributes.js';
import { decodeHeaderValue, needsDecoding } from './header-value.js';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from './json-depth.js';

/** The attribute names of the headers every broker delivery carries, as Knative spells them. */
const CE_HEADER_NAMES = new Map(
  ['id', 'source', 'type', 'specversion', 'time', 'subject', 'dataschema'].flatMap((name) => [
    [`ce-${name}`, name],
    [`Ce-${name[0]!.toUpperCase()}${name.slice(1)}`, name],
  ]),
);

/**
 * The attribute a `ce-` header names when it is one of the usual ones. Header names arrive as new
 * strings with every request: comparing them with constants (length first) is cheaper than
 * hashing them for a Map lookup, which is left for the other spellings.
 */
function knownAttribute(name: string): string | undefined {
  switch (name) {
    case 'ce-id':
      return 'id';
    case 'ce-source':
      return 'source';
    case 'ce-type':
      return 'type';
    case 'ce-specversion':
      return 'specversion';
    case 'ce-time':
      return 'time';
    case 'ce-subject':
      return 'subject';
    default:
      return CE_HEADER_NAMES.get(name);
  }
}

/** What the request head says, read from `rawHeaders` in one pass (cheaper than `req.headers`). */
export interface RequestHead {
  contentType: string | undefined;
  contentLength: number | undefined;
  /** `ce-*` headers, prefix stripped, lower-cased and decoded; undefined when there are none. */
  ce: Record<string, string> | undefined;
  /** Why the `ce-*` headers cannot make an event (a duplicate, an undecodable value, a bad name). */
  problem?: string | undefined;
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

/**
 * Reads content-type, content-length and the `ce-*` headers from Node's raw header list, decoding
 * `ce-*` values as the HTTP binding says (see header-value.ts). Problems are recorded, not thrown:
 * the caller answers 400 with them.
 */
export function readHead(rawHeaders: readonly string[]): RequestHead {
  let contentType: string | undefined;
  let contentLength: number | undefined;
  let ce: Record<string, string> | undefined;
  let problem: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    let value = rawHeaders[i + 1]!;
    const first = name.charCodeAt(0) | 0x20;
    if (first === 0x63 /* c */) {
      if (
        name.length > 3 &&
        (name.charCodeAt(1) | 0x20) === 0x65 &&
        name.charCodeAt(2) === 0x2d /* ce- */
      ) {
        ce ??= {};
        let attribute = knownAttribute(name);
        if (attribute === undefined) {
          attribute = name.slice(3).toLowerCase();
          // `ce-__proto__` would vanish on assignment instead of failing the name rule later.
          if (attribute === '__proto__') problem ??= attributeNameProblem(attribute);
        }
        // Each attribute appears at most once (CloudEvents spec, "Context Attributes").
        if (ce[attribute] !== undefined && Object.hasOwn(ce, attribute))
          problem ??= `attribute ${attribute} is sent in more than one ce- header`;
        if (needsDecoding(value)) {
          const decoded = decodeHeaderValue(value);
          if (decoded === undefined) {
            problem ??= `header ce-${attribute} is not valid percent-encoded UTF-8`;
          } else {
            value = decoded;
            const text = stringProblem(value);
            if (text !== undefined) problem ??= `attribute ${attribute} ${text}`;
          }
        }
        ce[attribute] = value;
      } else if (name.length === 12 && name.toLowerCase() === 'content-type') {
        contentType = value;
      } else if (name.length === 14 && name.toLowerCase() === 'content-length') {
        const n = Number(value);
        contentLength = Number.isFinite(n) ? n : undefined;
      }
    }
  }
  return problem === undefined
    ? { contentType, contentLength, ce }
    : { contentType, contentLength, ce, problem };
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
      const parsed = parseJsonData(this.#body);
      if ('error' in parsed) this.#failure = parsed.error;
      else this.#value = parsed.value;
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

function identityOf(attrs: Record<string, unknown>): EventIdentity {
  const pick = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return { id: pick(attrs.id), type: pick(attrs.type), source: pick(attrs.source) };
}

const TOO_DEEP = `JSON nested deeper than ${MAX_JSON_DEPTH} levels`;

/** A binary-mode JSON body: depth-checked before it is parsed. */
function parseJsonData(body: Buffer): { value: unknown } | { error: string } {
  if (exceedsJsonDepth(body, MAX_JSON_DEPTH)) return { error: `data is ${TOO_DEEP}` };
  try {
    return { value: JSON.parse(body.toString('utf8')) as unknown };
  } catch (error) {
    return { error: `data is not valid JSON: ${(error as Error).message}` };
  }
}

/**
 * Binary mode, the path every broker delivery takes: attributes straight from the headers, the
 * shared attribute rules (event-attributes.ts), and the body as `data` by its content type. Data
 * comes from the body only: a `ce-data` header is an attribute named `data`, which the spec
 * reserves, and is refused like any other invalid attribute.
 */
function parseBinary(
  head: RequestHead,
  ce: Record<string, string>,
  body: Buffer,
): CloudEvent<unknown> | Rejection {
  const attrs: Record<string, unknown> = ce;
  if (head.problem !== undefined) return reject(head.problem, identityOf(attrs));
  // HTTP binding 3.1.1: in binary mode Content-Type is datacontenttype, and a
  // ce-datacontenttype header MUST NOT be present.
  if (attrs.datacontenttype !== undefined)
    return reject(
      'ce-datacontenttype must not be sent in binary mode (Content-Type carries it)',
      identityOf(attrs),
    );
  const contentType = head.contentType;
  if (contentType !== undefined) attrs.datacontenttype = contentType;
  // readHead checked every header value against the String rule already.
  const problem = attributeProblem(attrs, true);
  if (problem !== undefined) return reject(problem, identityOf(attrs));
  // No body is an event without data, whatever the content type (the JS SDK sends
  // application/json for one); a handler that needs data answers 400 itself.
  if (body.length === 0) return buildEvent(attrs);
  const media = mediaType(contentType);
  if (isJsonMediaType(media)) return jsonBodyEvent(attrs, body);
  if (media === '') {
    // No content type: VEBA always sends JSON, so try it, and keep the text otherwise.
    const parsed = parseJsonData(body);
    if ('value' in parsed) attrs.data = parsed.value;
    else if (parsed.error.endsWith(TOO_DEEP)) return reject(parsed.error, identityOf(attrs));
    else attrs.data = body.toString('utf8');
  } else if (media.startsWith('text/') || media === 'application/xml') {
    attrs.data = body.toString('utf8');
  } else {
    attrs.data = body;
  }
  return buildEvent(attrs);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * One structured event (also a batch member), under the same attribute rules as binary mode. The
 * JSON format's `data` / `data_base64` members are the payload, not attributes, and a JSON `null`
 * attribute means "not set" (JSON format, section 2.2).
 */
function structuredEvent(value: unknown): CloudEvent<unknown> | Rejection {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return reject('a structured event must be a JSON object', {});
  }
  const member = value as Record<string, unknown>;
  const attrs: Record<string, unknown> = {};
  for (const name of Object.keys(member)) {
    // JSON.parse makes "__proto__" an own key; assigning it would swap attrs' prototype.
    if (name === '__proto__') return reject(attributeNameProblem(name)!, identityOf(member));
    if (name !== 'data' && name !== 'data_base64' && member[name] !== null)
      attrs[name] = member[name];
  }
  const problem = attributeProblem(attrs);
  if (problem !== undefined) return reject(problem, identityOf(attrs));
  const base64 = member.data_base64;
  if (base64 !== undefined && base64 !== null) {
    if ('data' in member)
      return reject('data and data_base64 must not both be present', identityOf(attrs));
    if (typeof base64 !== 'string' || !BASE64.test(base64))
      return reject('data_base64 must be a base64 string', identityOf(attrs));
    attrs.data_base64 = base64;
  } else if ('data' in member) {
    attrs.data = member.data;
  }
  return buildEvent(attrs);
}

/** A structured or batch body: depth-checked (the envelope levels included), then parsed. */
function parseJson(body: Buffer, envelopeDepth: number): { value: unknown } | { error: string } {
  if (body.length === 0) return { error: 'empty body' };
  if (exceedsJsonDepth(body, MAX_JSON_DEPTH + envelopeDepth))
    return { error: `data is ${TOO_DEEP}` };
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
    const parsed = parseJson(body, 1);
    if ('error' in parsed) return { mode: 'structured', event: reject(parsed.error, {}) };
    return { mode: 'structured', event: structuredEvent(parsed.value) };
  }
  if (media === BATCH) {
    const parsed = parseJson(body, 2);
    if ('error' in parsed) return { mode: 'none', rejection: reject(parsed.error, {}) };
    if (!Array.isArray(parsed.value))
      return { mode: 'none', rejection: reject('a batch must be a JSON array', {}) };
    return { mode: 'batch', events: parsed.value.map(structuredEvent) };
  }
  if (head.ce !== undefined) return { mode: 'binary', event: parseBinary(head, head.ce, body) };
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
