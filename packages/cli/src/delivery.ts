import { setTimeout as sleep } from 'node:timers/promises';
import { parseRetryAfter } from '@veba-functions/runtime';
import { encodeHeaderValue, httpRequest } from '@veba-functions/test-helpers';
import type { OutgoingEvent } from './events.js';
import { pool } from './pool.js';

/** The `ce-*` header encoding (test-helpers' one encoder, which the function harness sends with too). */
export { encodeHeaderValue };

/** How the event goes on the wire: `ce-*` headers + data body, or one JSON envelope. */
export type DeliveryMode = 'binary' | 'structured';

/** Knative Trigger `delivery` settings, plus what a local tool needs (timeout, output). */
export interface DeliveryOptions {
  /** Default `binary`, as the Knative broker delivers. */
  mode?: DeliveryMode;
  /** Retries after the first attempt. Default 2 (VEBA's default Trigger delivery). */
  retries?: number;
  /** Default `linear` (VEBA's default): delay x retry number; `exponential`: delay x 2^retry. */
  backoffPolicy?: 'linear' | 'exponential';
  /** Base backoff in ms. Default 200 (Knative's PT0.2S). */
  backoffDelayMs?: number;
  /** Longest `Retry-After` honoured, in ms. Default 30 000. */
  retryAfterMaxMs?: number;
  /** Per-attempt timeout in ms; a timeout counts as a network error. Default 30 000. */
  timeoutMs?: number;
  /** Called after every attempt, e.g. to print it. */
  onAttempt?(report: AttemptReport): void;
  /** Stops waiting between retries and aborts the request in flight. */
  signal?: AbortSignal;
}

/** One HTTP attempt. */
export interface AttemptReport {
  /** Which copy of the event (1-based) when it is delivered several times. */
  delivery: number;
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: number;
  /** The HTTP status, absent on a network error. */
  status?: number;
  /** The network error (connection refused, timeout, ...), absent when a status came back. */
  error?: string;
  /** The response body as text (trimmed to 2 KiB). */
  body: string;
  durationMs: number;
  /** Set when another attempt follows after this many ms. */
  retryInMs?: number;
}

/** The outcome of one delivery after its retries. */
export interface DeliveryResult {
  delivery: number;
  attempts: AttemptReport[];
  /** The last attempt's status, absent if it failed on the network. */
  status?: number;
  /** True when the last attempt answered 2xx. */
  ok: boolean;
  /** True when every attempt failed on the network (the URL is unreachable). */
  unreachable: boolean;
  body: string;
}

/**
 * Statuses the Knative broker retries (its dispatcher's rule): every 5xx, plus 404 (the
 * function's route is not ready yet), 408 (request timeout), 409 (conflict: here, the same event
 * is in progress) and 429 (rate limited). Other 4xx are final. Network errors are retried too.
 */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 404 || status === 408 || status === 409 || status === 429;
}

/** The wait before retry number `retry` (1-based), Knative's linear or exponential policy. */
export function backoffMs(
  retry: number,
  policy: 'linear' | 'exponential' = 'linear',
  delayMs = 200,
): number {
  return policy === 'exponential' ? delayMs * 2 ** retry : delayMs * retry;
}

/** The HTTP request for `event` in `mode`. */
export function encodeEvent(
  event: OutgoingEvent,
  mode: DeliveryMode = 'binary',
): { headers: Record<string, string>; body: string } {
  const { datacontenttype, ...attributes } = event.attributes;
  if (mode === 'structured') {
    const envelope: Record<string, unknown> = { ...event.attributes };
    if (event.rawBody !== undefined) envelope.data = event.rawBody;
    else if (event.data !== undefined) envelope.data = event.data;
    return {
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify(envelope),
    };
  }
  const headers: Record<string, string> = {
    'content-type': datacontenttype ?? 'application/json',
  };
  for (const [name, value] of Object.entries(attributes)) {
    headers[`ce-${name}`] = encodeHeaderValue(value);
  }
  const body = event.rawBody ?? (event.data === undefined ? '' : JSON.stringify(event.data));
  return { headers, body };
}

/**
 * Delivers `event` to `url` the way the Knative broker does: POST, binary mode by default,
 * retried on network errors and {@link isRetryableStatus} with the Trigger's backoff, waiting at
 * least `Retry-After` when the function sends one.
 *
 * @example
 * const result = await deliverEvent('http://127.0.0.1:8080', event, { retries: 2 });
 * if (!result.ok) console.error(result.status);
 */
export async function deliverEvent(
  url: string,
  event: OutgoingEvent,
  options: DeliveryOptions = {},
  delivery = 1,
): Promise<DeliveryResult> {
  const retries = options.retries ?? 2;
  const { headers, body } = encodeEvent(event, options.mode);
  const attempts: AttemptReport[] = [];
  for (let attempt = 1; ; attempt += 1) {
    const started = performance.now();
    const report: AttemptReport = { delivery, attempt, body: '', durationMs: 0 };
    let retryAfter: number | undefined;
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
    try {
      const reply = await httpRequest(url, {
        method: 'POST',
        headers,
        body,
        signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
      });
      report.status = reply.status;
      report.body = reply.body.slice(0, 2048);
      const header = reply.headers['retry-after'];
      retryAfter = parseRetryAfter(Array.isArray(header) ? header[0] : header);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      report.error = timeout.aborted ? 'timed out' : networkErrorMessage(error);
    }
    report.durationMs = Math.round(performance.now() - started);
    const retryable = report.status === undefined || isRetryableStatus(report.status);
    if (retryable && attempt <= retries) {
      const backoff = backoffMs(attempt, options.backoffPolicy, options.backoffDelayMs);
      const honoured = Math.min(retryAfter ?? 0, options.retryAfterMaxMs ?? 30_000);
      report.retryInMs = Math.max(backoff, honoured);
    }
    attempts.push(report);
    options.onAttempt?.(report);
    if (report.retryInMs === undefined) break;
    await sleep(report.retryInMs, undefined, { signal: options.signal });
  }
  const last = attempts[attempts.length - 1]!;
  return {
    delivery,
    attempts,
    status: last.status,
    ok: last.status !== undefined && last.status >= 200 && last.status < 300,
    unreachable: attempts.every((a) => a.status === undefined),
    body: last.body,
  };
}

/**
 * Delivers the same event `times` times (at-least-once duplicates), at most `concurrency` at once.
 * Results come back in delivery order.
 */
export async function deliverRepeated(
  url: string,
  event: OutgoingEvent,
  options: DeliveryOptions & { times?: number; concurrency?: number } = {},
): Promise<DeliveryResult[]> {
  const deliveries = Array.from({ length: options.times ?? 1 }, (_, i) => i + 1);
  return pool(deliveries, Math.max(1, options.concurrency ?? 1), (delivery) =>
    deliverEvent(url, event, options, delivery),
  );
}

/** "connect ECONNREFUSED 127.0.0.1:8123", with the code when the message lacks it. */
function networkErrorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
