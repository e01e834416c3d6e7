/**
 * The client policy against local receivers that answer as each vendor documents (see
 * src/testing/webhook-receiver.ts for the pages): success, 429 with Retry-After, 5xx, permanent
 * errors, size limits, timeouts; and no secret part of the URL in any log line or error, whatever
 * form the server echoes it in.
 */
import {
  DependencyUnavailableError,
  UpstreamRejectedError,
  mapError,
} from '@veba-functions/runtime';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDestination } from '../src/destination.js';
import { RateLimitedError, TargetPayloadError } from '../src/errors.js';
import { createGoogleChatTarget } from '../src/google-chat/google-chat-target.js';
import { buildNotification } from '../src/model.js';
import { createSlackTarget } from '../src/slack/slack-target.js';
import { createTargetClient } from '../src/target-client.js';
import type { NotificationTarget } from '../src/target.js';
import { createTeamsTarget } from '../src/teams/teams-target.js';
import {
  googleError,
  startWebhookReceiver,
  type ReceiverKind,
  type WebhookReceiver,
} from '../src/testing/webhook-receiver.js';
import { corpusEvent } from './corpus.js';
import { captureLogger } from './capture-logger.js';

const TARGETS: ReadonlyArray<[ReceiverKind, () => NotificationTarget]> = [
  ['slack', () => createSlackTarget()],
  ['teams', () => createTeamsTarget()],
  ['google-chat', () => createGoogleChatTarget()],
];

let receiver: WebhookReceiver | undefined;
let logger: ReturnType<typeof captureLogger>;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** The secret in every form a server might echo it. */
function secretForms(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(`/${secret}`),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
  ];
}

function expectNoSecret(texts: string[], secret: string): void {
  const all = texts.join('\n');
  for (const form of secretForms(secret)) expect(all).not.toContain(form);
}

async function setup(kind: ReceiverKind, make: () => NotificationTarget, metrics?: Registry) {
  receiver = await startWebhookReceiver(kind, { secret: `tok${kind.replace('-', '')}Secret42x` });
  logger = captureLogger();
  const target = make();
  const destination = parseDestination(receiver.url, { key: 'URL', from: 'test' });
  const client = createTargetClient({
    target,
    destination,
    logger,
    timeoutMs: 1000,
    ...(metrics ? { metrics } : {}),
  });
  const message = target.render(
    buildNotification(corpusEvent('kn-ps-slack-vsphere-alarm__test-payload.json')),
  );
  return { receiver, target, client, message };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the post to fail');
}

const soon = (ms = 10_000) => Date.now() + ms;

describe.each(TARGETS)('%s', (kind, make) => {
  it('success: posts the JSON once and resolves', async () => {
    const { receiver: r, client, message } = await setup(kind, make);
    await client.post(message, { deadline: soon() });
    expect(r.posts).toHaveLength(1);
    expect(r.posts[0]!.contentType).toMatch(/^application\/json/);
    expect(r.posts[0]!.body).toEqual(JSON.parse(JSON.stringify(message)));
  });

  it('429 with Retry-After in seconds, an HTTP date or fractional seconds: RateLimitedError (503)', async () => {
    const { client, message, receiver: r } = await setup(kind, make);
    const date = new Date(Date.now() + 30_000).toUTCString();
    r.script(
      { status: 429, body: 'rate_limited', retryAfter: '30' },
      { status: 429, body: 'rate_limited', retryAfter: date },
      { status: 429, body: 'rate_limited', retryAfter: '0.25' },
      { status: 429, body: 'rate_limited' },
    );
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const error = await failure(client.post(message, { deadline: soon() }));
      expect(error).toBeInstanceOf(RateLimitedError);
      expect(mapError(error).status).toBe(503);
      waits.push((error as RateLimitedError).retryAfterMs);
    }
    expect(waits[0]).toBe(30_000);
    expect(waits[1]).toBeGreaterThan(28_000);
    expect(waits[1]).toBeLessThanOrEqual(30_000);
    expect(waits[2]).toBe(250);
    expect(waits[3]).toBe(1000);
  });

  it.each([500, 502, 503, 504, 408])('%i: 503 (retryable)', async (status) => {
    const { client, message, receiver: r } = await setup(kind, make);
    r.script({ status, body: 'oops' });
    const error = await failure(client.post(message, { deadline: soon() }));
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(mapError(error).status).toBe(503);
  });

  it.each([401, 403, 404, 410, 302])(
    '%i: the destination is gone or wrong: 502 with an error log',
    async (status) => {
      const { client, message, receiver: r, target } = await setup(kind, make);
      r.script({ status, body: 'gone', location: 'http://127.0.0.1:1/elsewhere' });
      const error = await failure(client.post(message, { deadline: soon() }));
      expect(error).toBeInstanceOf(UpstreamRejectedError);
      expect(mapError(error).status).toBe(502);
      const errors = logger.lines.filter((l) => l.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.msg).toContain(`${target.label} refused the webhook`);
      expect(errors[0]!.msg).toContain(target.misconfiguredHint);
      // A redirect is never followed.
      expect(r.posts).toHaveLength(1);
    },
  );

  it('400: the message we built is wrong: TargetPayloadError (500), the answer logged', async () => {
    const { client, message, receiver: r } = await setup(kind, make);
    r.script({ status: 400, body: 'invalid_payload' });
    const error = await failure(client.post(message, { deadline: soon() }));
    expect(error).toBeInstanceOf(TargetPayloadError);
    expect(mapError(error).status).toBe(500);
    expect(logger.lines.find((l) => l.level === 'error')?.obj).toMatchObject({
      targetStatus: 400,
      targetBody: 'invalid_payload',
    });
  });

  it('no answer within the timeout, or connection refused: 503', async () => {
    const { client, message, receiver: r } = await setup(kind, make);
    r.script('hang');
    const timedOut = await failure(client.post(message, { deadline: soon() }));
    expect(timedOut).toBeInstanceOf(DependencyUnavailableError);
    expect(timedOut.message).toMatch(/no answer within 1000 ms/);
    await r.close();
    const refused = await failure(client.post(message, { deadline: soon() }));
    expect(refused).toBeInstanceOf(DependencyUnavailableError);
    expectNoSecret([refused.message, String((refused.cause as Error).message)], r.secret);
    receiver = await startWebhookReceiver(kind);
  });

  it('the timeout never runs past the deadline', async () => {
    const { client, message, receiver: r } = await setup(kind, make);
    r.script('hang');
    const error = await failure(client.post(message, { deadline: soon(200) }));
    expect(error.message).toMatch(/no answer within (1\d\d|200) ms/);
  });

  it('a server echoing the URL, path, token or query (plain, URL-encoded, base64) never leaks it', async () => {
    const metrics = new Registry();
    const { client, message, receiver: r } = await setup(kind, make, metrics);
    const path = new URL(r.url).pathname + new URL(r.url).search;
    const echo = [
      `Cannot POST ${path}`,
      `token=${r.secret}`,
      `encoded ${encodeURIComponent(path)}`,
      `b64 ${Buffer.from(r.secret).toString('base64')}`,
      `b64url ${Buffer.from(r.secret).toString('base64url')}`,
      `url ${r.url}`,
    ].join(' | ');
    const errors: Error[] = [];
    for (const status of [404, 400, 503]) {
      r.script({ status, body: echo });
      errors.push(await failure(client.post(message, { deadline: soon() })));
    }
    r.script({
      status: 404,
      body: JSON.stringify({ error: { code: 404, message: echo, status: 'NOT_FOUND' } }),
    });
    errors.push(await failure(client.post(message, { deadline: soon() })));
    expectNoSecret(
      [JSON.stringify(logger.lines), ...errors.map((e) => `${e.name} ${e.message}`)],
      r.secret,
    );
    // The text stays readable around the scrubbed parts.
    expect(JSON.stringify(logger.lines)).toContain('Cannot POST ***');
    const metric = await metrics
      .getSingleMetric(`veba_${make().metricName}_webhook_requests_total`)!
      .get();
    const counts = Object.fromEntries(metric.values.map((v) => [String(v.labels.result), v.value]));
    expect(counts).toEqual({ misconfigured: 2, rejected_payload: 1, unavailable: 1 });
  });
});

describe('documented specifics', () => {
  it('Teams: 202 Accepted (queued) is done; a body over 28 KB is refused with 413 (our bug: 500)', async () => {
    const { client, message, receiver: r } = await setup('teams', TARGETS[1]![1]);
    await client.post(message, { deadline: soon() });
    const big = { type: 'message', attachments: [{ content: 'x'.repeat(30_000) }] };
    const error = await failure(client.post(big, { deadline: soon() }));
    expect(error).toBeInstanceOf(TargetPayloadError);
    expect(r.posts.map((p) => p.bytes > 28 * 1024)).toEqual([false, true]);
  });

  it('Google Chat: a thread key sends messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD; errors read from the JSON', async () => {
    const { client, receiver: r, target } = await setup('google-chat', TARGETS[2]![1]);
    const alarm = target.render(
      buildNotification(corpusEvent('kn-ps-slack-vsphere-alarm__test-payload.json')),
    );
    const plain = target.render(buildNotification(corpusEvent('kn-ps-slack__test-payload.json')));
    await client.post(alarm, { deadline: soon() });
    await client.post(plain, { deadline: soon() });
    expect(r.posts[0]!.path).toContain('messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
    expect(r.posts[0]!.path).toContain(`token=${r.secret}`);
    expect(r.posts[1]!.path).not.toContain('messageReplyOption');
    r.script(googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload'));
    const error = await failure(client.post(plain, { deadline: soon() }));
    expect((error as TargetPayloadError).code).toBe('INVALID_ARGUMENT: Invalid JSON payload');
    r.script(googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'));
    expect(await failure(client.post(plain, { deadline: soon() }))).toBeInstanceOf(
      RateLimitedError,
    );
  });

  it('Slack: every documented misconfiguration code is a 502 naming the code', async () => {
    for (const [status, code] of [
      [403, 'action_prohibited'],
      [403, 'invalid_token'],
      [404, 'channel_not_found'],
      [404, 'no_service'],
      [410, 'channel_is_archived'],
    ] as const) {
      const { client, message, receiver: r } = await setup('slack', TARGETS[0]![1]);
      r.script({ status, body: code });
      const error = await failure(client.post(message, { deadline: soon() }));
      expect(error).toBeInstanceOf(UpstreamRejectedError);
      expect(error.message).toContain(code);
      expect(logger.lines.find((l) => l.level === 'error')?.obj).toMatchObject({
        targetStatus: status,
        targetCode: code,
        destination: 'http://' + new URL(r.url).host + '/services/***',
      });
      await r.close();
      receiver = undefined;
    }
  });
});
