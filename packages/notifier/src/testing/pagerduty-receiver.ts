/**
 * A local stand-in for PagerDuty's Events API v2, answering as PagerDuty documents
 * (https://developer.pagerduty.com/docs/events-api-v2/overview/ and .../trigger-events/,
 * .../send-change-events/; the OpenAPI document github.com/PagerDuty/api-schema
 * reference/events-v2/openapiv3.json):
 * - `POST /v2/enqueue`: 202 `{"status":"success","message":"Event processed","dedup_key":...}`;
 *   an event PagerDuty would refuse (not JSON, a `routing_key` that is not 32 characters, an
 *   unknown `event_action`, a trigger without `payload.summary` / `source` / a known `severity`,
 *   a summary over 1024 characters, a `dedup_key` over 255, a resolve without `dedup_key`, a body
 *   over 512 KB): 400 `{"status":"invalid event","message":"Event object is invalid","errors":[...]}`;
 * - `POST /v2/change/enqueue`: the same for change events (`routing_key`, `payload.summary`);
 * - any other path: 404.
 * It also keeps the alerts' states by `dedup_key` (a trigger opens, a resolve closes), so tests
 * and the demo can see that a resolve closed what its trigger opened.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  startRecordingServer,
  type RecordedAnswer,
  type RecordedRequest,
} from './http-receiver.js';

/** A running PagerDuty stand-in. */
export interface PagerDutyReceiver {
  /** `PAGERDUTY_EVENTS_URL`: `http://127.0.0.1:<port>/v2/enqueue`. */
  readonly url: string;
  /** A routing key of the documented form (32 characters). Secret. */
  readonly routingKey: string;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Alert events accepted (202), in order. */
  readonly alerts: Array<Record<string, unknown>>;
  /** Change events accepted (202), in order. */
  readonly changes: Array<Record<string, unknown>>;
  /** Open (`triggered`) or `resolved`, per dedup_key. */
  readonly incidents: Map<string, 'triggered' | 'resolved'>;
  /** Answers for the next requests, in order; then PagerDuty's own. */
  script(...answers: RecordedAnswer[]): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  /** Forgets the requests, events, incidents and scripted answers (between tests). */
  reset(): void;
  close(): Promise<void>;
}

const ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);
const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
const MAX_BYTES = 512 * 1024;

/**
 * @example
 * const pd = await startPagerDutyReceiver();
 * // PAGERDUTY_EVENTS_URL=pd.url PAGERDUTY_ROUTING_KEY=pd.routingKey ... then pd.alerts, pd.incidents
 */
export async function startPagerDutyReceiver(
  options: { routingKey?: string } = {},
): Promise<PagerDutyReceiver> {
  const routingKey = options.routingKey ?? randomBytes(16).toString('hex');
  const alerts: Array<Record<string, unknown>> = [];
  const changes: Array<Record<string, unknown>> = [];
  const incidents = new Map<string, 'triggered' | 'resolved'>();
  const server = await startRecordingServer((request) => {
    const path = request.path.split('?')[0];
    if (request.method !== 'POST' || (path !== '/v2/enqueue' && path !== '/v2/change/enqueue')) {
      return { status: 404, body: JSON.stringify({ status: 'Not Found', message: 'Not Found' }) };
    }
    const change = path === '/v2/change/enqueue';
    const errors = problems(request, change);
    if (errors.length > 0) {
      return {
        status: 400,
        body: JSON.stringify({
          status: 'invalid event',
          message: 'Event object is invalid',
          errors,
        }),
      };
    }
    const event = request.json as Record<string, unknown>;
    if (change) {
      changes.push(event);
      return {
        status: 202,
        body: JSON.stringify({ status: 'success', message: 'Change event processed' }),
      };
    }
    const dedupKey = typeof event.dedup_key === 'string' ? event.dedup_key : randomUUID();
    alerts.push(event);
    if (event.event_action === 'trigger') incidents.set(dedupKey, 'triggered');
    else if (event.event_action === 'resolve' && incidents.get(dedupKey) === 'triggered')
      incidents.set(dedupKey, 'resolved');
    return {
      status: 202,
      body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: dedupKey }),
    };
  });
  return {
    url: `${server.base}/v2/enqueue`,
    routingKey,
    requests: server.requests,
    alerts,
    changes,
    incidents,
    script: server.script,
    waitForRequests: server.waitForRequests,
    reset() {
      server.reset();
      alerts.length = 0;
      changes.length = 0;
      incidents.clear();
    },
    close: server.close,
  };
}

/** What PagerDuty would refuse in a request. */
function problems(request: RecordedRequest, change: boolean): string[] {
  if (Buffer.byteLength(request.raw) > MAX_BYTES)
    return ['Event object exceeds the 512 KB size limit'];
  const event = request.json;
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    return ['JSON parse error'];
  const e = event as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32)
    errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  const payload = e.payload as Record<string, unknown> | undefined;
  const summary = payload?.summary;
  if (change) {
    if (typeof summary !== 'string' || summary === '')
      errors.push("'payload.summary' is missing or blank");
    return errors;
  }
  if (typeof e.event_action !== 'string' || !ACTIONS.has(e.event_action))
    errors.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255))
    errors.push("'dedup_key' is invalid (at most 255 characters)");
  if (e.event_action !== 'trigger' && typeof e.dedup_key !== 'string')
    errors.push("'dedup_key' is required for acknowledge and resolve events");
  if (e.event_action === 'trigger') {
    if (typeof summary !== 'string' || summary === '')
      errors.push("'payload.summary' is missing or blank");
    else if ([...summary].length > 1024)
      errors.push("'payload.summary' is too long (at most 1024 characters)");
    if (typeof payload?.source !== 'string' || payload.source === '')
      errors.push("'payload.source' is missing or blank");
    if (typeof payload?.severity !== 'string' || !SEVERITIES.has(payload.severity))
      errors.push("'payload.severity' is invalid (must be one of: critical, error, warning, info)");
  }
  return errors;
}
