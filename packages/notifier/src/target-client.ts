/**
 * The one HTTP client policy of every target: POST JSON with a timeout inside the event's
 * deadline, never follow a redirect, turn the target's answer into the runtime's status contract,
 * and keep a server's text only after scrubbing every secret part of the destination URL.
 *
 * | answer (per target's `classify`)                 | thrown                          | broker sees |
 * |--------------------------------------------------|---------------------------------|-------------|
 * | 2xx (Teams' 202 = queued: done)                  | nothing                         | 200         |
 * | 429 + `Retry-After` (seconds, date, fractional)  | `RateLimitedError`              | 503 + Retry-After (the dispatcher retries first) |
 * | 5xx, 408, 425, timeout, connection error         | `DependencyUnavailableError`    | 503         |
 * | 3xx, 401, 403, 404, 410 (destination gone/wrong) | `UpstreamRejectedError` + error log | 502     |
 * | `rejected`: the target refused this event for good (PagerDuty's 400) | `UpstreamRejectedError` + error log with its answer | 502 |
 * | other 4xx (400, 413: the message we built)       | `TargetPayloadError` + error log | 500        |
 *
 * A 5xx with `Retry-After` (Standard Webhooks receivers may send one with 503) carries it to the
 * broker's 503.
 */
import {
  DependencyUnavailableError,
  UpstreamRejectedError,
  parseRetryAfter,
} from '@veba-functions/runtime';
import type { Counter, Registry } from 'prom-client';
import { registeredCounter } from '@veba-functions/runtime';
import type { Destination } from './destination.js';
import { RateLimitedError, TargetPayloadError } from './errors.js';
import { hintOf, type AnswerKind, type HttpTarget } from './target.js';

/** The logger methods the client uses (a pino logger fits). */
export interface NotifierLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of {@link createTargetClient}. */
export interface TargetClientOptions<M> {
  target: HttpTarget<M>;
  destination: Destination;
  /** Per-request timeout in ms (capped by the deadline). Default 10 000. */
  timeoutMs?: number;
  logger: NotifierLogger;
  /** Registry for `veba_<target>_webhook_requests_total{result}`. */
  metrics?: Registry;
  /** When a 429 has no usable `Retry-After`. Default: the target's, else 1000 ms. */
  defaultRetryAfterMs?: number;
}

/** Options of one post. */
export interface PostOptions {
  /** Epoch ms by which the post must be done or given up. */
  deadline: number;
  signal?: AbortSignal;
  logger?: NotifierLogger;
}

/** What a client may tell about an accepted message (added to the event's 200 answer). */
export interface PostOutcome {
  details?: Record<string, unknown>;
}

/** Sends messages to one destination (over HTTP here; email has its own SMTP client). */
export interface TargetClient<M> {
  /** Resolves once the target accepted the message; throws per the table above. */
  post(message: M, options: PostOptions): Promise<PostOutcome | void>;
}

const MAX_BODY_KEPT = 1000;
const MAX_CODE = 100;

/**
 * @example
 * const client = createTargetClient({ target: createSlackTarget(), destination, logger });
 * await client.post(message, { deadline: ctx.deadline });
 */
export function createTargetClient<M>(options: TargetClientOptions<M>): TargetClient<M> {
  const { target, destination } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const counter = options.metrics
    ? requestCounter(options.metrics, target.metricName, target.label)
    : undefined;
  const count = (result: AnswerKind | 'timeout'): void =>
    void counter?.inc({ result: result === 'timeout' ? 'unavailable' : result });
  const where = destination.masked;

  return {
    async post(message, { deadline, signal, logger = options.logger }) {
      const request = target.request(message, destination.url);
      const body = request.rawBody ?? JSON.stringify(request.body);
      const budget = Math.min(timeoutMs, deadline - Date.now());
      if (budget <= 0) {
        throw new DependencyUnavailableError(
          `${target.label} ${where}: no time left before the event's deadline`,
        );
      }
      const timeout = AbortSignal.timeout(budget);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let response: Response;
      try {
        response = await fetch(request.url, {
          method: 'POST',
          headers: {
            ...request.headers,
            'content-type': request.contentType ?? 'application/json; charset=utf-8',
          },
          body,
          signal: combined,
          // These APIs never redirect a POST; following one would send the message elsewhere.
          redirect: 'manual',
        });
      } catch (error) {
        count('unavailable');
        const timedOut = timeout.aborted && !signal?.aborted;
        const reason = timedOut ? `no answer within ${budget} ms` : describe(error, destination);
        throw new DependencyUnavailableError(`${target.label} ${where} unreachable: ${reason}`, {
          cause: new Error(reason),
        });
      }
      const kind = target.classify(response.status);
      count(kind);
      // An accepted message's answer is read to free the connection, never shown: no scrub, no code.
      const answer = await readBody(response);
      if (kind === 'ok') return;
      const text = destination.scrub(answer).slice(0, MAX_BODY_KEPT);
      const code =
        destination.scrub(target.answerCode(response.status, text)).slice(0, MAX_CODE) ||
        `http_${response.status}`;
      const fields = { targetStatus: response.status, targetCode: code, destination: where };
      switch (kind) {
        case 'rate_limited': {
          const retryAfterMs =
            parseRetryAfter(response.headers.get('retry-after')) ??
            options.defaultRetryAfterMs ??
            target.defaultRetryAfterMs ??
            1000;
          throw new RateLimitedError(
            `${target.label} ${where} rate-limited (429), retry after ${retryAfterMs} ms`,
            retryAfterMs,
          );
        }
        case 'unavailable': {
          logger.warn(fields, `${target.label} is unavailable`);
          const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
          throw new DependencyUnavailableError(
            `${target.label} ${where} answered HTTP ${response.status} ${code}`,
            retryAfterMs === undefined
              ? {}
              : { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) },
          );
        }
        case 'misconfigured':
          logger.error(
            fields,
            `${target.label} refused the webhook: ${code} (${hintOf(target, response.status)})`,
          );
          throw new UpstreamRejectedError(
            `${target.label} ${where} refused: HTTP ${response.status} ${code}`,
          );
        case 'rejected':
          logger.error(
            { ...fields, targetBody: text },
            `${target.label} refused the event: HTTP ${response.status} ${code}`,
          );
          throw new UpstreamRejectedError(
            `${target.label} ${where} refused the event: HTTP ${response.status} ${code}`,
          );
        default:
          logger.error(
            { ...fields, targetBody: text },
            `${target.label} rejected the message: ${code}`,
          );
          throw new TargetPayloadError(target.label, response.status, code);
      }
    },
  };
}

// A re-created client on the same registry reuses the counter instead of letting prom-client throw.
function requestCounter(registry: Registry, metricName: string, label: string): Counter<'result'> {
  return registeredCounter(registry, {
    name: `veba_${metricName}_webhook_requests_total`,
    help: `${label} webhook posts by result: ok, rate_limited, unavailable, misconfigured, rejected_payload`,
    labelNames: ['result'],
  });
}

async function readBody(response: Response): Promise<string> {
  try {
    return await response.text();
  } catch {
    return '';
  }
}

function describe(error: unknown, destination: Destination): string {
  if (!(error instanceof Error)) return 'request failed';
  const cause =
    error.cause instanceof Error
      ? `: ${(error.cause as NodeJS.ErrnoException).code ?? error.cause.message}`
      : '';
  return destination.scrub(`${error.message}${cause}`);
}
