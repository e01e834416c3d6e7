/**
 * A local stand-in for a Slack incoming webhook, answering the way Slack's docs say it does:
 * - success: HTTP 200, body `ok`
 *   (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks)
 * - errors: the HTTP status and a plain-text error code as the body, e.g. 400 `invalid_payload`,
 *   403 `action_prohibited`, 404 `channel_not_found`, 410 `channel_is_archived`, 500 `rollup_error`
 *   (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks#handling_errors,
 *   https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks)
 * - rate limiting: HTTP 429 with a `Retry-After` header in seconds
 *   (https://docs.slack.dev/apis/web-api/rate-limits)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  /** Arrival time, epoch ms (performance-based, monotonic). */
  at: number;
  path: string;
  contentType: string | undefined;
  body: unknown;
}

/** What to answer to one request; `hang` never answers (a timeout). */
export type SlackAnswer =
  { status: number; body: string; retryAfter?: string; location?: string } | 'hang';

export const OK: SlackAnswer = { status: 200, body: 'ok' };

export interface SlackReceiver {
  /** The webhook URL, shaped like Slack's (`/services/T.../B.../secret`). */
  url: string;
  /** Every POST, in arrival order. */
  posts: ReceivedPost[];
  /** Answers for the next requests, in order; once used up, every request gets `ok`. */
  script(...answers: SlackAnswer[]): void;
  close(): Promise<void>;
}

export const WEBHOOK_SECRET = 'XXXXsecretXXXXtokenXXXX';

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const posts: ReceivedPost[] = [];
  const queue: SlackAnswer[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
      posts.push({
        at: performance.timeOrigin + performance.now(),
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body,
      });
      const answer = queue.shift() ?? OK;
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      const headers: Record<string, string> = { 'content-type': 'text/html' };
      if (answer.retryAfter !== undefined) headers['retry-after'] = answer.retryAfter;
      if (answer.location !== undefined) headers.location = answer.location;
      res.writeHead(answer.status, headers).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T0001/B0001/${WEBHOOK_SECRET}`,
    posts,
    script: (...answers) => queue.push(...answers),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
