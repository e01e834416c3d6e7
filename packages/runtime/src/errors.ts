/**
 * The error family a handler (or a guard) throws to say what happened. The runtime maps each
 * class to an HTTP status the Knative broker understands (see README "Status contract").
 * Classes are matched by `name` as well as `instanceof`, so a second copy of this package in
 * a function's node_modules still maps correctly.
 */

/** Options accepted by every runtime error. */
export interface RuntimeErrorOptions {
  cause?: unknown;
}

/**
 * Permanent: the event or its payload cannot be used. Answered with 400 and
 * `{ "error": "invalid_event", "reason": message }`; the broker does not retry.
 *
 * @example
 * if (!vm) throw new InvalidEventError('data.Vm is missing');
 */
export class InvalidEventError extends Error {
  override readonly name: string = 'InvalidEventError';
  constructor(message: string, options?: RuntimeErrorOptions) {
    super(message, options);
  }
}

/** The same event is being processed right now (dedupe lock held). Answered with 409; the broker retries later. */
export class EventInProgressError extends Error {
  override readonly name: string = 'EventInProgressError';
  constructor(message = 'the same event is being processed', options?: RuntimeErrorOptions) {
    super(message, options);
  }
}

/**
 * A downstream refuses the request permanently (bad credentials, missing permission, 4xx from
 * vCenter or Slack that a retry will not fix). Answered with 502.
 */
export class UpstreamRejectedError extends Error {
  override readonly name: string = 'UpstreamRejectedError';
  constructor(message: string, options?: RuntimeErrorOptions) {
    super(message, options);
  }
}

/** Options of {@link DependencyUnavailableError}. */
export interface DependencyUnavailableErrorOptions extends RuntimeErrorOptions {
  /** Sent as the `Retry-After` header (whole seconds, rounded up). */
  retryAfterSeconds?: number;
}

/**
 * A dependency (Redis, vCenter, Slack) is down or rate-limiting. Answered with 503 and, when
 * `retryAfterSeconds` is set, a `Retry-After` header.
 *
 * @example
 * throw new DependencyUnavailableError('Slack rate limit', { retryAfterSeconds: 30, cause: err });
 */
export class DependencyUnavailableError extends Error {
  override readonly name: string = 'DependencyUnavailableError';
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, options?: DependencyUnavailableErrorOptions) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** The configuration is missing or invalid. Thrown by `loadConfig`; fails `init`. Never contains a value. */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
  /** One line per failing key, e.g. `VCENTER_SERVER: missing (looked in env VCENTER_SERVER)`. */
  readonly issues: readonly string[];
  constructor(issues: readonly string[], options?: RuntimeErrorOptions) {
    super(`invalid configuration: ${issues.join('; ')}`, options);
    this.issues = issues;
  }
}

/** The handler did not finish before its deadline (`FUNCTION_TIMEOUT_SECONDS`). Answered with 503. */
export class HandlerTimeoutError extends Error {
  override readonly name: string = 'HandlerTimeoutError';
  constructor(timeoutMs: number, options?: RuntimeErrorOptions) {
    super(`handler did not finish within ${timeoutMs} ms`, options);
  }
}

/**
 * The function is stopping and its drain deadline passed while this event was still running:
 * answered with 503 so the broker delivers it again (to another instance, or this one restarted),
 * after the guards released the event's claim.
 */
export class EventCutOffError extends Error {
  override readonly name: string = 'EventCutOffError';
  constructor(
    message = 'the function is shutting down: event cut off at the drain deadline',
    options?: RuntimeErrorOptions,
  ) {
    super(message, options);
  }
}

/** Which status and outcome an error maps to. */
export interface ErrorMapping {
  status: number;
  outcome: 'invalid' | 'in_progress' | 'failed' | 'unavailable' | 'timeout' | 'cut_off';
  /** Error code for the JSON body. */
  code: string;
}

// A Map, not an object literal: an error named `constructor` or `toString` must not match.
const MAPPINGS: ReadonlyMap<string, ErrorMapping> = new Map<string, ErrorMapping>([
  ['InvalidEventError', { status: 400, outcome: 'invalid', code: 'invalid_event' }],
  ['EventInProgressError', { status: 409, outcome: 'in_progress', code: 'event_in_progress' }],
  ['UpstreamRejectedError', { status: 502, outcome: 'failed', code: 'upstream_rejected' }],
  [
    'DependencyUnavailableError',
    { status: 503, outcome: 'unavailable', code: 'dependency_unavailable' },
  ],
  ['HandlerTimeoutError', { status: 503, outcome: 'timeout', code: 'timeout' }],
  ['EventCutOffError', { status: 503, outcome: 'cut_off', code: 'shutting_down' }],
]);
const UNEXPECTED: ErrorMapping = { status: 500, outcome: 'failed', code: 'internal_error' };

/**
 * Maps a thrown value to its HTTP status and metrics outcome (anything unknown -> 500). A function's
 * own error class maps by the runtime class it extends (`class TagGoneError extends
 * UpstreamRejectedError` -> 502); classes are matched by name along the prototype chain, so a
 * second copy of this package still maps.
 */
export function mapError(error: unknown): ErrorMapping {
  if (!(error instanceof Error)) return UNEXPECTED;
  const own = MAPPINGS.get(error.name);
  if (own !== undefined) return own;
  for (
    let proto: unknown = Object.getPrototypeOf(error);
    proto !== null && proto !== Error.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    const ctor = (proto as { constructor?: { name?: unknown } }).constructor;
    const mapping = typeof ctor?.name === 'string' ? MAPPINGS.get(ctor.name) : undefined;
    if (mapping !== undefined) return mapping;
  }
  return UNEXPECTED;
}
