/**
 * What a notification target declares, in two parts that most targets have both of:
 * - a renderer (`MessageRenderer`): how the message model becomes the target's message, and the
 *   target's documented rate and size;
 * - an HTTP target (`HttpTarget`): the request for a message and what the target's HTTP answers
 *   mean, for the one client policy (target-client.ts).
 * Slack, Teams, Google Chat and PagerDuty are both (`NotificationTarget`); email renders but is
 * sent over SMTP by its own client; a Standard Webhooks forwarder posts without the model.
 */
import type { Notification } from './model.js';
import type { RateLimit } from './rate-limiter.js';

/**
 * What an answer means, as counted in `veba_<target>_webhook_requests_total{result}`:
 * `ok` done; `rate_limited` 429; `unavailable` retryable (5xx, timeouts); `misconfigured` the
 * destination is gone or wrong (502); `rejected` the target refused this event for good (502, its
 * answer logged); `rejected_payload` the message we built is wrong (500, its answer logged).
 */
export type AnswerKind =
  'ok' | 'rate_limited' | 'unavailable' | 'misconfigured' | 'rejected' | 'rejected_payload';

/** One request to send. */
export interface TargetRequest {
  /** Where to POST: the destination URL, possibly with query parameters added (threads). */
  url: URL;
  /** The JSON body (ignored when `rawBody` is set). */
  body: unknown;
  /** The exact body to send (a signed payload must be sent as it was signed). */
  rawBody?: string;
  /** Content type of the body. Default `application/json; charset=utf-8`. */
  contentType?: string;
  /** Further request headers (signatures). Never logged. */
  headers?: Readonly<Record<string, string>>;
}

/** How a target renders the message model. */
export interface MessageRenderer<M = unknown> {
  /** `Slack`, `Microsoft Teams`, `Google Chat`, `email`: for log lines and errors. */
  readonly label: string;
  /** Metric name part: `slack` gives `veba_slack_webhook_requests_total`. */
  readonly metricName: string;
  /** The documented rate per destination, and where it is documented; `undefined`: not paced. */
  readonly rate: (RateLimit & { source: string }) | undefined;
  /** The documented size limit of one request body in bytes, when the target has one. */
  readonly maxBodyBytes: number | undefined;
  /** One event as a message. */
  render(notification: Notification): M;
  /**
   * Many events as one digest message (within the size limit whatever their number). A target
   * without it sends every event on its own (a page, a mail: one per event).
   */
  renderDigest?(notifications: readonly Notification[]): M;
  /**
   * Checks that the event can be sent to this target, throwing `InvalidEventError` (400) naming
   * the field (e.g. PagerDuty needs an alarm's `To`). Runs before anything is queued.
   */
  check?(notification: Notification): void;
  /**
   * Whether maintenance suppression may skip this event. Default: every alarm on a host in
   * maintenance. PagerDuty never suppresses a resolve (it would leave an incident open).
   */
  maySuppress?(notification: Notification): boolean;
  /** Fields added to the 200 answer of a sent message (e.g. PagerDuty's action and dedup key). */
  details?(message: M): Record<string, unknown>;
}

/** How the one HTTP client policy talks to a target. */
export interface HttpTarget<M = unknown> {
  readonly label: string;
  readonly metricName: string;
  /** The request for a message (e.g. Google Chat threads add query parameters). */
  request(message: M, destination: URL): TargetRequest;
  /** A short code from an error answer's body (`channel_not_found`, `INVALID_ARGUMENT`). */
  answerCode(status: number, body: string): string;
  /** What an answer's status means (documented per target). */
  classify(status: number): AnswerKind;
  /** The log line's hint when the destination refuses for good (a gone or wrong webhook). */
  readonly misconfiguredHint: string | ((status: number) => string);
  /** The wait after a 429 without a usable `Retry-After`, ms. Default 1000. */
  readonly defaultRetryAfterMs?: number;
}

/** A target that renders the model and is reached over HTTP (Slack, Teams, Google Chat, PagerDuty). */
export interface NotificationTarget<M = unknown> extends MessageRenderer<M>, HttpTarget<M> {
  readonly label: string;
  readonly metricName: string;
}

/**
 * The answer classes most webhook targets share: 2xx done; 429 rate limited; 408, 425 and 5xx
 * unavailable (retryable); 3xx (never sent by these APIs: a proxy or a wrong URL), 401, 403, 404
 * and 410 a destination that is gone or wrong; any other 4xx a payload we got wrong.
 */
export function classifyCommon(status: number): AnswerKind {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 429) return 'rate_limited';
  if (status >= 500 || status === 408 || status === 425) return 'unavailable';
  if ((status >= 300 && status < 400) || [401, 403, 404, 410].includes(status))
    return 'misconfigured';
  return 'rejected_payload';
}

/**
 * `error.status` (else `error.code`) and `error.message` of a JSON error body, when it is one:
 * Google API errors (Google Chat), Power Automate (Teams), and what many webhook receivers send.
 */
export function jsonErrorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as {
      error?: { code?: unknown; status?: unknown; message?: unknown };
    };
    const error = parsed.error;
    if (typeof error !== 'object' || error === null) return undefined;
    const code =
      typeof error.status === 'string'
        ? error.status
        : typeof error.code === 'string'
          ? error.code
          : undefined;
    const message = typeof error.message === 'string' ? error.message : undefined;
    if (code === undefined) return message;
    return message ? `${code}: ${message}` : code;
  } catch {
    return undefined;
  }
}

/** The hint of a refusal, for the log line. */
export function hintOf(target: Pick<HttpTarget, 'misconfiguredHint'>, status: number): string {
  const hint = target.misconfiguredHint;
  return typeof hint === 'string' ? hint : hint(status);
}
