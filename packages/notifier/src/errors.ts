/**
 * The notifier's own errors. Each extends the runtime error whose status it means (the runtime
 * maps a subclass by the class it extends), except `TargetPayloadError`, which is a plain error
 * on purpose: the target refused the message we built, a bug, answered 500.
 */
import { DependencyUnavailableError } from '@veba-functions/runtime';

/**
 * The target refused our payload (HTTP 400, 413, 422): a bug in the message we built, so the
 * runtime answers 500 and the event is retried, then dead-lettered. The target's answer is logged
 * (scrubbed) where it happened.
 */
export class TargetPayloadError extends Error {
  override readonly name = 'TargetPayloadError';
  constructor(
    readonly target: string,
    readonly status: number,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`${target} rejected the message: HTTP ${status} ${code}`, options);
  }
}

/**
 * The target answered 429: a 503 with `Retry-After` if it reaches the broker. The digest
 * dispatcher catches it first, holds the destination's pacing and retries within the deadline.
 */
export class RateLimitedError extends DependencyUnavailableError {
  override readonly name = 'RateLimitedError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)), ...options });
  }
}
