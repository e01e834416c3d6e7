/**
 * The one error class of this package. Both API flavours' error bodies and the client-side
 * failures (network, TLS, timeout) end up here with a normalised type and a retry verdict, so a
 * function maps any vCenter failure to a status with one `instanceof` check.
 */

/** vAPI standard error types (both flavours normalise to these), plus client-side failures. */
export type VCenterErrorType =
  // vAPI standard errors (com.vmware.vapi.std.errors.*), as `/api` spells them in `error_type`
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'ALREADY_IN_DESIRED_STATE'
  | 'INVALID_ARGUMENT'
  | 'INVALID_REQUEST'
  | 'UNAUTHENTICATED'
  | 'UNAUTHORIZED'
  | 'SERVICE_UNAVAILABLE'
  | 'RESOURCE_BUSY'
  | 'RESOURCE_IN_USE'
  | 'UNABLE_TO_ALLOCATE_RESOURCE'
  | 'TIMED_OUT'
  | 'CANCELED'
  | 'NOT_ALLOWED_IN_CURRENT_STATE'
  | 'UNSUPPORTED'
  | 'INTERNAL_SERVER_ERROR'
  | 'ERROR'
  // client side: no usable answer from vCenter
  | 'NETWORK_ERROR'
  | 'TLS_ERROR'
  | 'UNEXPECTED_RESPONSE'
  | 'CLIENT_CLOSED'
  | 'INVALID_OPTIONS'
  // tagging lookups that found nothing and were not allowed to create (or a tag deleted since)
  | 'TAG_NOT_FOUND'
  // a tag name given without its category that exists in several categories
  | 'TAG_AMBIGUOUS';

export interface VCenterErrorOptions {
  type: VCenterErrorType;
  status?: number;
  method?: string;
  path?: string;
  operation?: string;
  retryable?: boolean;
  messages?: string[];
  /** The managed object a per-object result concerns (e.g. `vm-42` in a bulk tag call). */
  objectId?: string;
  cause?: unknown;
}

/**
 * A failed vCenter call. Carries no credentials and no session id: only the method, the path
 * (ids of tags and VMs are not secret), the status and the server's messages.
 *
 * @example
 * try { await client.tagging.attach(tagId, 'vm-42'); }
 * catch (error) {
 *   if (error instanceof VCenterError && error.retryable) throw new DependencyUnavailableError(error.message, { cause: error });
 *   throw error;
 * }
 */
export class VCenterError extends Error {
  override readonly name = 'VCenterError';
  /** HTTP status, when vCenter answered. */
  readonly status: number | undefined;
  /** Normalised error type, e.g. `NOT_FOUND` for `/api`'s `NOT_FOUND` and `/rest`'s `com.vmware.vapi.std.errors.not_found`. */
  readonly vapiType: VCenterErrorType;
  readonly method: string | undefined;
  readonly path: string | undefined;
  /** The client operation, e.g. `tag.attach` (also the metrics label). */
  readonly operation: string | undefined;
  /** Whether the same call may succeed later: network errors, timeouts, 5xx and 429. */
  readonly retryable: boolean;
  /** vCenter's own messages (`default_message` of each), if any. */
  readonly messages: string[];
  /** The managed object this failure concerns, for per-object results (e.g. `vm-42`). */
  readonly objectId: string | undefined;

  constructor(message: string, options: VCenterErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.vapiType = options.type;
    this.method = options.method;
    this.path = options.path;
    this.operation = options.operation;
    this.messages = options.messages ?? [];
    this.objectId = options.objectId;
    this.retryable = options.retryable ?? isRetryable(options.type, options.status);
  }
}

/**
 * Retry verdict: network errors, timeouts, 5xx and 429 may succeed later; every other 4xx is a
 * permanent answer (bad input, missing object, bad credentials, missing privilege).
 */
export function isRetryable(type: VCenterErrorType, status: number | undefined): boolean {
  if (status === undefined) return type === 'NETWORK_ERROR' || type === 'TIMED_OUT';
  return status >= 500 || status === 429;
}

const STATUS_TYPES: Record<number, VCenterErrorType> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_BUSY',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
  504: 'TIMED_OUT',
};

/** The type to use when the body names none (vcsim answers 401 and 404 with no vAPI body). */
export function typeFromStatus(status: number): VCenterErrorType {
  return STATUS_TYPES[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'ERROR');
}

/**
 * Normalises a vAPI error type name: `NOT_FOUND` (`/api`), `com.vmware.vapi.std.errors.not_found`
 * (`/rest`), `not_found` all become `NOT_FOUND`. Unknown names are kept, upper-cased.
 */
export function normaliseVapiType(raw: string): VCenterErrorType {
  const short = raw.slice(raw.lastIndexOf('.') + 1);
  return short.toUpperCase() as VCenterErrorType;
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/** Classifies a failure without an HTTP answer by its Node error code. */
export function typeFromCode(code: string | undefined): VCenterErrorType {
  if (code === undefined) return 'NETWORK_ERROR';
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT')
    return 'TIMED_OUT';
  if (code === 'ERR_CANCELED' || code === 'ABORT_ERR') return 'CANCELED';
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))
    return 'TLS_ERROR';
  return 'NETWORK_ERROR';
}

/** Values shorter than this are not scrubbed: they would match ordinary text. */
const MIN_SCRUB_LENGTH = 3;
/** Base64 fragments shorter than this are not scrubbed on their own. */
const MIN_FRAGMENT_LENGTH = 8;
/** Session ids kept for scrubbing (the current one and a few expired ones vCenter may still echo). */
const SESSION_IDS_KEPT = 8;

/** The forms a value takes in a server's text: as is, URL-encoded, JSON-escaped and base64. */
function formsOf(value: string): string[] {
  if (value.length < MIN_SCRUB_LENGTH) return [];
  const forms = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
  const bytes = Buffer.from(value, 'utf8');
  // base64 at each byte alignment, minus the edge characters that mix in the neighbours' bits:
  // the value inside any longer base64 text (the password inside `user:password`).
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const fragment = encoded.slice(
      Math.ceil((shift * 8) / 6),
      Math.floor(((shift + bytes.length) * 8) / 6),
    );
    if (fragment.length >= MIN_FRAGMENT_LENGTH) forms.push(fragment, encodeURIComponent(fragment));
  }
  return forms;
}

/** Removes the client's own credentials from text vCenter sent back (see {@link createCredentialScrubber}). */
export interface CredentialScrubber {
  /** Scrubs `id` too from now on: call it with each session id vCenter hands out. */
  addSessionId: (id: string) => void;
  /** `text` with every form of the password, the Basic token and the session ids replaced by `[REDACTED]`. */
  scrub: (text: string) => string;
}

/**
 * A scrubber for what the client knows is secret: the password, the Basic token
 * (`base64(user:password)`, with and without `Basic `) and every session id it was given, each
 * as is, URL-encoded, JSON-escaped and in base64. vCenter (or a proxy in front of it) can echo
 * the Authorization header in a login error and the session header in a 403: that text ends up in
 * a VCenterError's message, `messages` and `cause`, which functions log and send back to the
 * broker as the reason of a 502.
 */
export function createCredentialScrubber(credentials: {
  username: string;
  password: string;
}): CredentialScrubber {
  const token = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString(
    'base64',
  );
  const fixed = [...formsOf(`Basic ${token}`), ...formsOf(token), ...formsOf(credentials.password)];
  const sessionIds: string[] = [];
  let forms: string[] = [];
  const rebuild = () => {
    forms = [...new Set([...fixed, ...sessionIds.flatMap(formsOf)])].sort(
      (a, b) => b.length - a.length,
    );
  };
  rebuild();
  return {
    addSessionId: (id) => {
      if (sessionIds.includes(id)) return;
      sessionIds.push(id);
      if (sessionIds.length > SESSION_IDS_KEPT) sessionIds.shift();
      rebuild();
    },
    // Few forms, and only error text goes through here: a test per form is fast enough.
    scrub: (text) => {
      let out = text;
      for (const form of forms) if (out.includes(form)) out = out.split(form).join('[REDACTED]');
      return out;
    },
  };
}
