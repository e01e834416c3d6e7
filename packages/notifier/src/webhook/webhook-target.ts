/**
 * A Standard Webhooks receiver as an HTTP target: the signed CloudEvent, POSTed as is.
 *
 * Answers, as the specification's "Delivery success and failure" section suggests
 * (github.com/standard-webhooks/standard-webhooks spec/standard-webhooks.md):
 *
 * | status | spec | here |
 * |---|---|---|
 * | 2xx | success | done |
 * | 3xx | failure; do not follow redirects, update the URL | 502 (not followed) |
 * | 410 Gone | "no longer interested in receiving webhooks from this source. Sender should disable the webhook endpoint" | 502 and an error log that the receiver asked to stop |
 * | 429 | rate limited, throttle | 503 + Retry-After (theirs, else 1 s) |
 * | 502, 504 | "the server is under load", throttle | 503 + Retry-After when sent |
 * | 503 | may carry `Retry-After`, "taken into consideration" | 503 + Retry-After when sent |
 * | 500 and other 5xx | failure, retried on the sender's schedule | 503 |
 * | other 4xx | failure (the receiver refuses this request) | 502, its answer logged |
 */
import { jsonErrorCode, type AnswerKind, type HttpTarget } from '../target.js';
import { CLOUDEVENTS_JSON } from './cloudevent-body.js';
import { signWebhook, type SigningKey } from './standard-webhooks.js';

/** One webhook to send: its id (the same across retries) and the exact body. */
export interface WebhookMessage {
  id: string;
  body: string;
}

/** Options of {@link createStandardWebhookTarget}. */
export interface StandardWebhookTargetOptions {
  keys: readonly SigningKey[];
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/**
 * Signs every attempt afresh (`webhook-timestamp` is the attempt's time: receivers refuse old ones).
 *
 * @example createStandardWebhookTarget({ keys: parseSigningSecrets(config.WEBHOOK_SECRET, 'WEBHOOK_SECRET') })
 */
export function createStandardWebhookTarget(
  options: StandardWebhookTargetOptions,
): HttpTarget<WebhookMessage> {
  const now = options.now ?? Date.now;
  return {
    label: 'webhook',
    metricName: 'standard',
    request(message, destination) {
      const timestamp = Math.floor(now() / 1000);
      return {
        url: destination,
        body: undefined,
        rawBody: message.body,
        contentType: CLOUDEVENTS_JSON,
        headers: {
          'webhook-id': message.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(message.id, timestamp, message.body, options.keys),
        },
      };
    },
    answerCode: (_status, body) => jsonErrorCode(body) ?? body.trim(),
    classify: classifyWebhookAnswer,
    misconfiguredHint: (status) =>
      status === 410
        ? 'the receiver answered 410 Gone: it asked to stop receiving these webhooks; remove its Trigger or change WEBHOOK_URL'
        : 'a redirect is not followed: set WEBHOOK_URL to where the receiver is now',
  };
}

/** The answers as above. */
export function classifyWebhookAnswer(status: number): AnswerKind {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'unavailable';
  if (status === 410 || (status >= 300 && status < 400)) return 'misconfigured';
  return 'rejected';
}
