/**
 * Local stand-ins for the three webhook targets, answering the way each vendor documents, for
 * tests, benchmarks and the demo (import from `@veba-functions/notifier/testing`):
 *
 * - Slack: 200 `ok` (text); errors as the HTTP status and a plain-text code, e.g. 404
 *   `channel_not_found`; 429 with `Retry-After` seconds. What it refuses of a message itself, as
 *   documented there: a body that is not a JSON object, 400 `invalid_payload`; no `text`, `blocks`
 *   or `attachments`, 400 `no_text`; `blocks` that is not an array or holds more than 50 blocks,
 *   400 `invalid_blocks` (https://docs.slack.dev/reference/block-kit/blocks: at most 50).
 *   https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks#handling_errors,
 *   https://docs.slack.dev/apis/web-api/rate-limits
 * - Microsoft Teams (Power Automate Workflows trigger): 202 Accepted with an empty body once the
 *   request is queued; a body over 28 KB is refused with 413.
 *   https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook,
 *   https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook
 * - Google Chat: 200 with the created Message resource as JSON (its `thread.name` follows the
 *   `threadKey` when `messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD` is set); errors as
 *   Google API errors `{ "error": { "code", "message", "status" } }`; over 32,000 bytes: 400
 *   `INVALID_ARGUMENT`. https://developers.google.com/workspace/chat/quickstart/webhooks,
 *   https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.messages/create
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, createArrivals } from './arrivals.js';

/** Which vendor the receiver imitates. */
export type ReceiverKind = 'slack' | 'teams' | 'google-chat';

/** One POST the receiver got. */
export interface ReceivedPost {
  /** Arrival time, epoch ms. */
  at: number;
  /** Path and query, as requested. */
  path: string;
  contentType: string | undefined;
  /** The body parsed as JSON (or the raw text). */
  body: unknown;
  bytes: number;
  /** The status it answered (undefined while a scripted `hang` holds the request). */
  status?: number;
}

/** An answer to script: status, body text, headers; `hang` never answers (a timeout). */
export type ScriptedAnswer =
  | { status: number; body?: string; retryAfter?: string; location?: string; contentType?: string }
  | 'hang';

/** A running receiver. */
export interface WebhookReceiver {
  readonly kind: ReceiverKind;
  /** The webhook URL, shaped like the vendor's, with a secret part (`secret`). */
  readonly url: string;
  /** The secret part of the URL (the token): tests check it never reaches a log line. */
  readonly secret: string;
  /** Every POST, in arrival order. */
  readonly posts: ReceivedPost[];
  /** Answers for the next requests, in order; once used up, requests get the vendor's success. */
  script(...answers: ScriptedAnswer[]): void;
  /** Resolves once `count` posts have arrived. */
  waitForPosts(count: number, timeoutMs?: number): Promise<void>;
  /** Forgets the posts and the scripted answers not used yet (between tests). */
  reset(): void;
  close(): Promise<void>;
}

/** Options of {@link startWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /** The secret part of the URL. Default `XXXXsecretXXXXtokenXXXX`. */
  secret?: string;
}

const TEAMS_MAX_BYTES = 28 * 1024;
const GOOGLE_MAX_BYTES = 32_000;

/**
 * Starts a receiver on a free loopback port.
 *
 * @example
 * const slack = await startWebhookReceiver('slack');
 * // SLACK_WEBHOOK_URL=slack.url ... later: slack.posts, slack.script({ status: 429, retryAfter: '1' })
 */
export async function startWebhookReceiver(
  kind: ReceiverKind,
  options: WebhookReceiverOptions = {},
): Promise<WebhookReceiver> {
  const secret = options.secret ?? 'XXXXsecretXXXXtokenXXXX';
  const posts: ReceivedPost[] = [];
  const queue: ScriptedAnswer[] = [];
  const hanging = new Set<ServerResponse>();
  const arrivals = createArrivals(posts, 'posts');
  let messages = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = raw.toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      const post: ReceivedPost = {
        at: Date.now(),
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body,
        bytes: raw.length,
      };
      const answer = queue.shift() ?? success(kind, raw.length, req.url ?? '', body, ++messages);
      if (answer !== 'hang') post.status = answer.status;
      arrivals.add(post);
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      const headers: Record<string, string> = {
        'content-type': answer.contentType ?? 'text/plain; charset=utf-8',
      };
      if (answer.retryAfter !== undefined) headers['retry-after'] = answer.retryAfter;
      if (answer.location !== undefined) headers.location = answer.location;
      res.writeHead(answer.status, headers).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const url =
    kind === 'slack'
      ? `${base}/services/T0001/B0001/${secret}`
      : kind === 'teams'
        ? `${base}/workflows/0a1b2c3d4e5f/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${secret}`
        : `${base}/v1/spaces/AAAAbcdEFgh/messages?key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI&token=${secret}`;
  return {
    kind,
    url,
    secret,
    posts,
    script: (...answers) => void queue.push(...answers),
    waitForPosts: arrivals.waitFor,
    reset() {
      posts.length = 0;
      queue.length = 0;
    },
    close: () => closeServer(server, hanging),
  };
}

/** The vendor's answer to a request it accepts (or refuses for size). */
function success(
  kind: ReceiverKind,
  bytes: number,
  path: string,
  body: unknown,
  n: number,
): Exclude<ScriptedAnswer, 'hang'> {
  if (kind === 'slack') return slackAnswer(body);
  if (kind === 'teams') {
    if (bytes > TEAMS_MAX_BYTES) {
      return {
        status: 413,
        contentType: 'application/json',
        body: JSON.stringify({
          error: { code: 'RequestEntityTooLarge', message: 'The request is too large' },
        }),
      };
    }
    return { status: 202, body: '' };
  }
  if (bytes > GOOGLE_MAX_BYTES) {
    return googleError(400, 'INVALID_ARGUMENT', 'Message size exceeds 32000 bytes');
  }
  const space = /\/v1\/(spaces\/[^/]+)\//.exec(path)?.[1] ?? 'spaces/AAAA';
  const threadKey = (body as { thread?: { threadKey?: unknown } } | null)?.thread?.threadKey;
  const replying = path.includes('messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
  const thread = replying && typeof threadKey === 'string' ? `t-${threadKey}` : `t-new-${n}`;
  return {
    status: 200,
    contentType: 'application/json; charset=UTF-8',
    body: JSON.stringify({
      name: `${space}/messages/m${n}`,
      thread: { name: `${space}/threads/${thread}` },
    }),
  };
}

/** A Google API error answer. */
export function googleError(
  code: number,
  status: string,
  message: string,
): Exclude<ScriptedAnswer, 'hang'> {
  return {
    status: code,
    contentType: 'application/json; charset=UTF-8',
    body: JSON.stringify({ error: { code, message, status } }),
  };
}

/** Slack's answer to a message: what its incoming-webhook documentation says it refuses, or `ok`. */
function slackAnswer(body: unknown): Exclude<ScriptedAnswer, 'hang'> {
  const refuse = (code: string) => ({ status: 400, body: code, contentType: 'text/html' });
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return refuse('invalid_payload');
  }
  const message = body as { text?: unknown; blocks?: unknown; attachments?: unknown };
  if (
    message.blocks !== undefined &&
    (!Array.isArray(message.blocks) || message.blocks.length > 50)
  ) {
    return refuse('invalid_blocks');
  }
  const hasText = typeof message.text === 'string' && message.text.trim() !== '';
  if (!hasText && message.blocks === undefined && message.attachments === undefined) {
    return refuse('no_text');
  }
  return { status: 200, body: 'ok', contentType: 'text/html' };
}
