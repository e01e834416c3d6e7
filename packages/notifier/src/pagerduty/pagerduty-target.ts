/**
 * PagerDuty's Events API v2 as a notification target.
 *
 * Answers (https://developer.pagerduty.com/docs/events-api-v2/overview/ "Response Codes & Retry
 * Logic", and the Events API v2 OpenAPI document, github.com/PagerDuty/api-schema
 * reference/events-v2/openapiv3.json):
 *
 * | status | PagerDuty says | here |
 * |---|---|---|
 * | 202 | Accepted, `{"status":"success","message":"Event processed","dedup_key":...}`; retry: No | done |
 * | 400 | Bad Request, `{"status":"invalid event","message":...,"errors":[...]}`; retry: No | 502, its message logged |
 * | 429 | Too many API calls at a time; retry: Yes, "preferably with a backoff of a few minutes" | 503 + Retry-After (30 s unless it sends one), every sender of the routing key holds |
 * | 5xx, network error | retry: Yes, after some time | 503 |
 * | 3xx, 401, 403, 404 | (not documented: a wrong PAGERDUTY_EVENTS_URL) | 502 |
 *
 * Rate: "approximately 120 calls/minute per integration key", over a 60-second window
 * (https://developer.pagerduty.com/docs/events-api-v2/rate-limits/, 05-Rate-Limits.md), which
 * suggests "retrying 3 times with each request being 30 seconds apart" after a 429.
 */
import type { Notification } from '../model.js';
import { jsonErrorCode, type AnswerKind, type NotificationTarget } from '../target.js';
import {
  checkPagerDutyEvent,
  pagerDutyEventOf,
  PAGERDUTY_LIMITS,
  type PagerDutyMessage,
} from './pagerduty-event.js';

/** Options of {@link createPagerDutyTarget}. */
export interface PagerDutyTargetOptions {
  /** The Events API v2 integration key (secret). */
  routingKey: string;
}

/** The default events endpoint (alerts); change events go to `/v2/change/enqueue` beside it. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/**
 * The change-events URL beside an alert-events URL: `.../v2/enqueue` -> `.../v2/change/enqueue`.
 *
 * @example changeEventsUrl(new URL('https://events.pagerduty.com/v2/enqueue')).href // 'https://events.pagerduty.com/v2/change/enqueue'
 */
export function changeEventsUrl(alertUrl: URL): URL {
  const url = new URL(alertUrl.href);
  url.pathname = url.pathname.replace(/\/enqueue\/?$/, '/change/enqueue');
  return url;
}

/**
 * @example createPagerDutyTarget({ routingKey: config.PAGERDUTY_ROUTING_KEY })
 */
export function createPagerDutyTarget(
  options: PagerDutyTargetOptions,
): NotificationTarget<PagerDutyMessage> {
  return {
    label: 'PagerDuty',
    metricName: 'pagerduty',
    rate: {
      perSecond: 2,
      burst: 1,
      source: 'https://developer.pagerduty.com/docs/events-api-v2/rate-limits/',
    },
    maxBodyBytes: PAGERDUTY_LIMITS.bodyBytes,
    render: (n: Notification) => pagerDutyEventOf(n),
    check: checkPagerDutyEvent,
    // Suppressing a resolve would leave the incident its trigger opened open for ever.
    maySuppress: (n: Notification) => n.alarm?.status === 'red' || n.alarm?.status === 'yellow',
    details: (message) =>
      message.kind === 'change'
        ? { action: 'change' }
        : { action: message.event_action, dedupKey: message.dedup_key },
    request(message, destination) {
      if (message.kind === 'change') {
        const { kind: _kind, ...event } = message;
        return {
          url: changeEventsUrl(destination),
          body: { routing_key: options.routingKey, ...event },
        };
      }
      const { kind: _kind, ...event } = message;
      return { url: destination, body: { routing_key: options.routingKey, ...event } };
    },
    answerCode: (_status, body) => pagerDutyErrorCode(body) ?? body.trim(),
    classify: classifyPagerDuty,
    misconfiguredHint: (status) =>
      status === 404
        ? 'check PAGERDUTY_EVENTS_URL: it should end in /v2/enqueue'
        : 'check PAGERDUTY_EVENTS_URL and that the routing key is an Events API v2 integration key',
    defaultRetryAfterMs: 30_000,
  };
}

/** PagerDuty's answers as above. */
export function classifyPagerDuty(status: number): AnswerKind {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 429) return 'rate_limited';
  if (status >= 500 || status === 408) return 'unavailable';
  if ((status >= 300 && status < 400) || status === 401 || status === 403 || status === 404)
    return 'misconfigured';
  return 'rejected';
}

/** `message: errors` of a PagerDuty error body, when it is one. */
export function pagerDutyErrorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { status?: unknown; message?: unknown; errors?: unknown };
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const message = typeof parsed.message === 'string' ? parsed.message : undefined;
    const errors = Array.isArray(parsed.errors)
      ? parsed.errors.filter((e): e is string => typeof e === 'string')
      : [];
    const head = message ?? (typeof parsed.status === 'string' ? parsed.status : undefined);
    if (head === undefined) return jsonErrorCode(body);
    return errors.length > 0 ? `${head}: ${errors.join('; ')}` : head;
  } catch {
    return undefined;
  }
}
