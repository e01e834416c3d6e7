/**
 * What a notification target (Slack, Microsoft Teams, Google Chat) declares: how it renders the
 * model, its documented rate and size, and what its HTTP answers mean. The client policy
 * (target-client.ts), pacing and digests are shared.
 */
import type { Notification } from './model.js';
import type { RateLimit } from './rate-limiter.js';

/** What an answer means, as counted in `veba_<target>_webhook_requests_total{result}`. */
export type AnswerKind =
  'ok' | 'rate_limited' | 'unavailable' | 'misconfigured' | 'rejected_payload';

/** One request to send. */
export interface TargetRequest {
  /** Where to POST: the destination URL, possibly with query parameters added (threads). */
  url: URL;
  /** The JSON body. */
  body: unknown;
}

/** A notification target. */
export interface NotificationTarget<M = unknown> {
  /** `Slack`, `Microsoft Teams`, `Google Chat`: for log lines and errors. */
  readonly label: string;
  /** Metric name part: `slack` gives `veba_slack_webhook_requests_total`. */
  readonly metricName: string;
  /** The documented rate per destination, and where it is documented. */
  readonly rate: RateLimit & { source: string };
  /** The documented size limit of one request body in bytes, when the target has one. */
  readonly maxBodyBytes: number | undefined;
  /** One event as a message. */
  render(notification: Notification): M;
  /** Many events as one digest message (within the size limit whatever their number). */
  renderDigest(notifications: readonly Notification[]): M;
  /** The request for a message (e.g. Google Chat threads add query parameters). */
  request(message: M, destination: URL): TargetRequest;
  /** A short code from an error answer's body (`channel_not_found`, `INVALID_ARGUMENT`). */
  answerCode(status: number, body: string): string;
  /** What an answer means (documented per target). */
  classify(status: number, code: string): AnswerKind;
  /** The log line's hint when the destination refuses for good (a gone or wrong webhook). */
  readonly misconfiguredHint: string;
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
