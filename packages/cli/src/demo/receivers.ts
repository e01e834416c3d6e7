import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRecord } from '@veba-functions/runtime';

/**
 * A local stand-in for a vendor service a function sends to (Slack, Teams, Google Chat, an SMTP
 * relay, ...): it answers as the vendor documents and counts what arrived. The summary shows one
 * row per started receiver: `label`, `accepted`, `description`.
 */
export interface Receiver {
  /** The summary row's name, e.g. `Slack messages received`. */
  readonly label: string;
  /** Where the count comes from, e.g. `by the local webhook receiver`. */
  readonly description: string;
  /** Where functions reach it: a URL (HTTP) or `host:port` (SMTP). */
  readonly address: string;
  /** Messages it accepted (answered as delivered). */
  readonly accepted: number;
  /** Requests it refused, as the vendor would (a malformed message). */
  readonly refused: number;
  stop(): Promise<void>;
}

/**
 * How the demo starts a receiver. Functions name the specs they need; the demo starts each spec
 * once (by `id`) and hands the started receiver to the functions' `env`.
 */
export interface ReceiverSpec<R extends Receiver = Receiver> {
  /** Unique among the demo's receivers, e.g. `slack`. */
  readonly id: string;
  start(): Promise<R>;
}

/** One request an HTTP receiver got. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, e.g. `/services/T000/B000/demo`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What an HTTP receiver answers to one request, and whether it counts as a delivered message. */
export interface ReceiverAnswer {
  readonly accepted: boolean;
  readonly status: number;
  readonly contentType?: string;
  readonly body?: string;
}

/** A receiver on a local HTTP port. */
export interface HttpReceiver extends Receiver {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request, accepted or not, in arrival order. */
  readonly requests: readonly ReceivedRequest[];
}

export interface HttpReceiverOptions {
  label: string;
  description: string;
  /** The vendor's answer to one request (cite the vendor's documentation where it is written). */
  answer(request: ReceivedRequest): ReceiverAnswer;
}

/**
 * Starts an HTTP receiver on a free loopback port.
 *
 * @example
 * const hook = await startHttpReceiver({ label: 'hooks', description: 'local', answer: () => ({ accepted: true, status: 204 }) });
 * // ... point a function at hook.url, then read hook.accepted
 * await hook.stop();
 */
export async function startHttpReceiver(options: HttpReceiverOptions): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  let accepted = 0;
  let refused = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const answer = options.answer(request);
      if (answer.accepted) accepted += 1;
      else refused += 1;
      res
        .writeHead(answer.status, { 'content-type': answer.contentType ?? 'text/plain' })
        .end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    label: options.label,
    description: options.description,
    address: url,
    url,
    requests,
    get accepted() {
      return accepted;
    },
    get refused() {
      return refused;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Slack's incoming webhook as Slack documents its answers
 * (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks#handling_errors):
 * `200 ok` (plain text) for a message; `400 invalid_payload` for a body that is not a JSON
 * object; `400 no_text` for one with none of `text`, `blocks`, `attachments`.
 */
export function slackWebhookAnswer(request: ReceivedRequest): ReceiverAnswer {
  if (request.method !== 'POST') return { accepted: false, status: 405, body: 'invalid_method' };
  let message: unknown;
  try {
    message = JSON.parse(request.body);
  } catch {
    return { accepted: false, status: 400, body: 'invalid_payload' };
  }
  if (!isRecord(message)) return { accepted: false, status: 400, body: 'invalid_payload' };
  if (!['text', 'blocks', 'attachments'].some((field) => Object.hasOwn(message, field))) {
    return { accepted: false, status: 400, body: 'no_text' };
  }
  return { accepted: true, status: 200, body: 'ok' };
}

/** The Slack stand-in: functions post to `<url>/services/T000/B000/demo`. */
export const slackWebhook: ReceiverSpec<HttpReceiver> = {
  id: 'slack',
  start: () =>
    startHttpReceiver({
      label: 'Slack messages received',
      description: 'by the local webhook receiver (answers as Slack)',
      answer: slackWebhookAnswer,
    }),
};
