/**
 * A client for one Slack incoming webhook that turns Slack's answers into the runtime's status
 * contract.
 *
 * Slack's answers (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks#handling_errors
 * and https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks): the body
 * is a plain string, `ok` on success, otherwise an error code:
 *
 * | status | codes | meaning here | our answer |
 * |---|---|---|---|
 * | 200 | `ok` | posted | done |
 * | 400 | `invalid_payload`, `invalid_blocks`, `too_many_attachments`, `no_text`, `user_not_found`, ... | our message is wrong: a bug | `SlackPayloadError` -> 500, body logged |
 * | 403 | `action_prohibited`, `invalid_token`, `posting_to_general_channel_denied` | misconfiguration | `UpstreamRejectedError` -> 502 |
 * | 404 | `channel_not_found`, `no_service`, `no_team`, `team_disabled` | misconfiguration | `UpstreamRejectedError` -> 502 |
 * | 410 | `channel_is_archived` | misconfiguration | `UpstreamRejectedError` -> 502 |
 * | 429 | (JSON) + `Retry-After` seconds | rate limited (https://docs.slack.dev/apis/web-api/rate-limits) | wait and retry within the deadline, else `DependencyUnavailableError` -> 503 |
 * | 3xx | not Slack (a proxy, a wrong URL) | misconfiguration | `UpstreamRejectedError` -> 502 |
 * | 5xx, 408, timeout, network error | `rollup_error`, ... | Slack is down | `DependencyUnavailableError` -> 503 |
 *
 * Retryable statuses (the broker retries 5xx, so 503 is the retry signal): 408, 429, 500-599,
 * plus timeouts and connection errors. Everything else is final.
 *
 * The webhook URL is a credential: it never appears in a log line or an error message; only
 * {@link maskWebhookUrl}'s form does.
 */
import { DependencyUnavailableError, UpstreamRejectedError } from '@veba-functions/runtime';
import { Counter, type Registry } from 'prom-client';
import { createPacer, PacerSlotUnavailableError, type Pacer } from './pacer.js';
import type { SlackMessage } from './slack-message.js';

/** The logger methods the client uses (a pino logger fits). */
export interface WebhookLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SlackWebhookClientOptions {
  /** The incoming webhook URL (`https://hooks.slack.com/services/...`). Secret. */
  url: string;
  /** Per-request timeout in ms (capped by the event's deadline). Default 10 000. */
  timeoutMs?: number;
  logger: WebhookLogger;
  /** Minimum gap between two posts from this client. Default 1000 (Slack's 1 message/s per webhook). */
  minIntervalMs?: number;
  /** Time left before the deadline below which a send is not started. Default 500 ms. */
  minSendWindowMs?: number;
  /** At most this many 429 answers are waited out for one message. Default 3. */
  maxRateLimitRetries?: number;
  /** Injected for tests; defaults to the global `fetch` (undici). */
  fetch?: typeof fetch;
  /** Registry for `veba_slack_webhook_requests_total{result}` (the function's, from `init`). */
  metrics?: Registry;
}

/** How one attempt ended, as counted in `veba_slack_webhook_requests_total{result}`. */
export type WebhookResult =
  'ok' | 'rate_limited' | 'unavailable' | 'misconfigured' | 'rejected_payload' | 'paced_out';

export interface PostOptions {
  /** Epoch ms by which the post must be done or given up (the runtime's `ctx.deadline`). */
  deadline: number;
  /** Aborted when the event's handler deadline passes (the runtime's `ctx.signal`). */
  signal?: AbortSignal;
  /** The event's logger (carries the event id); defaults to the client's. */
  logger?: WebhookLogger;
}

export interface SlackWebhookClient {
  /** Posts one message, paced; resolves once Slack answered `ok`. Throws per the table above. */
  post(message: SlackMessage, options: PostOptions): Promise<void>;
  /** The URL as it may be shown: scheme, host and first path segment. */
  readonly target: string;
}

/**
 * Slack refused our payload (HTTP 400 and similar): a bug in the message we built, so the runtime
 * answers 500 and the event is retried, then dead-lettered.
 */
export class SlackPayloadError extends Error {
  override readonly name = 'SlackPayloadError';
  readonly status: number;
  readonly slackCode: string;
  constructor(status: number, slackCode: string, options?: { cause?: unknown }) {
    super(`Slack rejected the message: HTTP ${status} ${slackCode}`, options);
    this.status = status;
    this.slackCode = slackCode;
  }
}

/**
 * Masks the secret part of a webhook URL.
 *
 * @example maskWebhookUrl('https://hooks.slack.com/services/T0/B0/XYZ') // 'https://hooks.slack.com/services/***'
 */
export function maskWebhookUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const first = parsed.pathname.split('/').find((segment) => segment !== '');
    return `${parsed.protocol}//${parsed.host}/${first ? `${first}/` : ''}***`;
  } catch {
    return '***';
  }
}

/**
 * Parses `Retry-After` (delta-seconds or an HTTP date) into milliseconds; undefined if absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

// Slack's incoming-webhook codes that mean "this webhook or channel cannot take messages":
// retrying will not help, a human must fix the configuration.
const MISCONFIGURATION_STATUSES = new Set([401, 403, 404, 410]);
const RETRYABLE_STATUSES = new Set([408, 425]);
const MAX_BODY_LOGGED = 1000;

/**
 * Creates a client for one incoming webhook. Create it once (in `init`) and reuse it: its pacer
 * spaces every post of this instance at least `minIntervalMs` apart.
 *
 * @example
 * const slack = createSlackWebhookClient({ url: config.SLACK_WEBHOOK_URL, timeoutMs: 10_000, logger });
 * await slack.post(buildSlackMessage(input), { deadline: ctx.deadline, signal: ctx.signal, logger: ctx.logger });
 */
export function createSlackWebhookClient(options: SlackWebhookClientOptions): SlackWebhookClient {
  const url = new URL(options.url).toString();
  const target = maskWebhookUrl(url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const minSendWindowMs = options.minSendWindowMs ?? 500;
  const maxRateLimitRetries = options.maxRateLimitRetries ?? 3;
  const doFetch = options.fetch ?? fetch;
  const pacer: Pacer = createPacer({ intervalMs: options.minIntervalMs ?? 1000 });
  const scrub = (text: string): string =>
    text.split(url).join(target).split(options.url).join(target);
  const counter = options.metrics ? requestCounter(options.metrics) : undefined;
  const count = (result: WebhookResult): void => void counter?.inc({ result });

  async function attempt(
    body: string,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const budget = Math.min(timeoutMs, deadline - Date.now());
    const timeout = AbortSignal.timeout(Math.max(1, budget));
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      return await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body,
        signal: combined,
        // Slack never redirects a webhook POST; following one would turn it into a GET elsewhere.
        redirect: 'manual',
      });
    } catch (error) {
      count('unavailable');
      const timedOut = timeout.aborted && !signal?.aborted;
      const reason = timedOut ? `no answer within ${budget} ms` : describe(error, scrub);
      throw new DependencyUnavailableError(`Slack webhook ${target} unreachable: ${reason}`, {
        cause: new Error(reason),
      });
    }
  }

  return {
    target,
    async post(message, { deadline, signal, logger = options.logger }) {
      const body = JSON.stringify(message);
      for (let rateLimited = 0; ; rateLimited++) {
        try {
          await pacer.acquire({ latestStart: deadline - minSendWindowMs, signal });
        } catch (error) {
          if (error instanceof PacerSlotUnavailableError) {
            count('paced_out');
            throw new DependencyUnavailableError(
              `Slack webhook ${target}: next send slot is ${error.waitMs} ms away, past this event's deadline`,
              { retryAfterSeconds: Math.max(1, Math.ceil(error.waitMs / 1000)) },
            );
          }
          throw error;
        }

        const response = await attempt(body, deadline, signal);
        const text = scrub(await readBody(response));
        const slackCode = text.trim().slice(0, 100) || `http_${response.status}`;

        if (response.ok) {
          count('ok');
          if (text.trim() !== 'ok')
            logger.debug(
              { slackStatus: response.status, slackBody: text.slice(0, MAX_BODY_LOGGED) },
              'Slack answered 2xx without "ok"',
            );
          return;
        }

        if (response.status === 429) {
          count('rate_limited');
          const waitMs = parseRetryAfter(response.headers.get('retry-after')) ?? 1000;
          const resumeAt = Date.now() + waitMs;
          // Every other post of this instance waits too: the limit is per webhook.
          pacer.holdUntil(resumeAt);
          if (rateLimited < maxRateLimitRetries && resumeAt <= deadline - minSendWindowMs) {
            logger.warn(
              { slackStatus: 429, retryAfterMs: waitMs, webhook: target },
              'Slack rate limit: waiting Retry-After, then retrying',
            );
            // The pacer holds this retry (queued behind the posts already waiting) until resumeAt.
            continue;
          }
          logger.warn(
            { slackStatus: 429, retryAfterMs: waitMs, webhook: target },
            'Slack rate limit: Retry-After ends past the deadline, answering 503',
          );
          throw new DependencyUnavailableError(
            `Slack webhook ${target} rate-limited (429), retry after ${waitMs} ms`,
            {
              retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
            },
          );
        }

        if (response.status >= 500 || RETRYABLE_STATUSES.has(response.status)) {
          count('unavailable');
          logger.warn(
            { slackStatus: response.status, slackCode, webhook: target },
            'Slack is unavailable',
          );
          throw new DependencyUnavailableError(
            `Slack webhook ${target} answered HTTP ${response.status} ${slackCode}`,
          );
        }

        // 3xx cannot come from Slack: a proxy or a wrong URL, so also a misconfiguration.
        if (
          MISCONFIGURATION_STATUSES.has(response.status) ||
          (response.status >= 300 && response.status < 400)
        ) {
          count('misconfigured');
          logger.error(
            { slackStatus: response.status, slackCode, webhook: target },
            `Slack refused the webhook: ${slackCode} (check the webhook URL, the channel and the app's installation)`,
          );
          throw new UpstreamRejectedError(
            `Slack webhook ${target} refused: HTTP ${response.status} ${slackCode}`,
          );
        }

        // 400 and any other 4xx: Slack could not use what we sent. That is our bug; log what
        // Slack said so it can be fixed, and let the runtime answer 500.
        count('rejected_payload');
        logger.error(
          {
            slackStatus: response.status,
            slackCode,
            slackBody: text.slice(0, MAX_BODY_LOGGED),
            webhook: target,
          },
          `Slack rejected the message: ${slackCode}`,
        );
        throw new SlackPayloadError(response.status, slackCode);
      }
    },
  };
}

const REQUESTS_METRIC = 'veba_slack_webhook_requests_total';

// A re-created client on the same registry reuses the counter instead of letting prom-client throw.
function requestCounter(registry: Registry): Counter<'result'> {
  const existing = registry.getSingleMetric(REQUESTS_METRIC);
  if (existing) return existing as Counter<'result'>;
  return new Counter({
    name: REQUESTS_METRIC,
    help: 'Slack incoming-webhook posts by result: ok, rate_limited, unavailable, misconfigured, rejected_payload, paced_out',
    labelNames: ['result'],
    registers: [registry],
  });
}

async function readBody(response: Response): Promise<string> {
  try {
    return await response.text();
  } catch {
    return '';
  }
}

function describe(error: unknown, scrub: (text: string) => string): string {
  if (!(error instanceof Error)) return 'request failed';
  const cause =
    error.cause instanceof Error
      ? `: ${(error.cause as NodeJS.ErrnoException).code ?? error.cause.message}`
      : '';
  return scrub(`${error.message}${cause}`);
}
