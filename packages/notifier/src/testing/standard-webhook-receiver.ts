/**
 * A local Standard Webhooks receiver (github.com/standard-webhooks/standard-webhooks
 * spec/standard-webhooks.md, "Verifying signatures"): it checks `webhook-id`,
 * `webhook-timestamp` (within 5 minutes, the reference libraries' tolerance) and that one of the
 * `v1,` signatures of `webhook-signature` is the HMAC-SHA256 of `id.timestamp.body` under its
 * secret (compared in constant time); it answers 204 to a valid webhook and 401 otherwise, and
 * counts deliveries per `webhook-id` (the spec's idempotency key) so tests and the demo can see
 * duplicates. Tests verify signatures again with the `standardwebhooks` npm package.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  startRecordingServer,
  type RecordedAnswer,
  type RecordedRequest,
} from './http-receiver.js';

/** A running receiver. */
export interface StandardWebhookReceiver {
  /** `WEBHOOK_URL`, with a secret-looking path token (`token`). */
  readonly url: string;
  /** The path token of the URL. Secret. */
  readonly token: string;
  /** The secrets it verifies with (`whsec_...`). Secret. */
  readonly secrets: readonly string[];
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Valid webhooks accepted, in order. */
  readonly accepted: RecordedRequest[];
  /** Valid deliveries per `webhook-id` (more than 1: a duplicate). */
  readonly deliveries: Map<string, number>;
  /** Answers for the next requests, in order; then its own (204 or 401). */
  script(...answers: RecordedAnswer[]): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  /** Forgets the requests, deliveries and scripted answers (between tests). */
  reset(): void;
  close(): Promise<void>;
}

const TOLERANCE_SECONDS = 5 * 60;

/** A new random secret of the spec's form: `whsec_` and the base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * @example
 * const receiver = await startStandardWebhookReceiver();
 * // WEBHOOK_URL=receiver.url WEBHOOK_SECRET=receiver.secrets.join(' ')
 */
export async function startStandardWebhookReceiver(
  options: { secrets?: readonly string[]; token?: string } = {},
): Promise<StandardWebhookReceiver> {
  const secrets = options.secrets ?? [newWebhookSecret()];
  const token = options.token ?? `hook${randomBytes(12).toString('hex')}`;
  const keys = secrets.map((s) => Buffer.from(s.replace(/^whsec_/, ''), 'base64'));
  const accepted: RecordedRequest[] = [];
  const deliveries = new Map<string, number>();
  const server = await startRecordingServer((request) => {
    if (!verify(request, keys)) {
      return { status: 401, body: JSON.stringify({ error: 'invalid signature' }) };
    }
    accepted.push(request);
    const id = String(request.headers['webhook-id']);
    deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
    return { status: 204 };
  });
  return {
    url: `${server.base}/hooks/${token}`,
    token,
    secrets,
    requests: server.requests,
    accepted,
    deliveries,
    script: server.script,
    waitForRequests: server.waitForRequests,
    reset() {
      server.reset();
      accepted.length = 0;
      deliveries.clear();
    },
    close: server.close,
  };
}

function verify(request: RecordedRequest, keys: readonly Buffer[]): boolean {
  const id = header(request, 'webhook-id');
  const timestamp = header(request, 'webhook-timestamp');
  const signatures = header(request, 'webhook-signature');
  if (!id || !timestamp || !signatures || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const content = `${id}.${timestamp}.${request.raw}`;
  const expected = keys.map((key) => createHmac('sha256', key).update(content).digest());
  for (const entry of signatures.split(' ')) {
    const [version, value] = entry.split(',');
    if (version !== 'v1' || value === undefined) continue;
    const given = Buffer.from(value, 'base64');
    if (expected.some((e) => e.length === given.length && timingSafeEqual(e, given))) return true;
  }
  return false;
}

function header(request: RecordedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
