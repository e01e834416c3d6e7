/**
 * Standard Webhooks signing (spec: github.com/standard-webhooks/standard-webhooks
 * spec/standard-webhooks.md), verified with the reference `standardwebhooks` npm package: one
 * signature per secret (rotation), any one of them verifies, a tampered body or id does not; the
 * webhook target's answers (2xx done, 410 stop, 429/5xx retry with Retry-After, other 4xx 502)
 * against the local receiver stand-in.
 */
import { CloudEvent } from 'cloudevents';
import {
  DependencyUnavailableError,
  UpstreamRejectedError,
  mapError,
} from '@veba-functions/runtime';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDestination } from '../src/destination.js';
import { RateLimitedError } from '../src/errors.js';
import { createTargetClient } from '../src/target-client.js';
import {
  newWebhookSecret,
  startStandardWebhookReceiver,
  type StandardWebhookReceiver,
} from '../src/testing/standard-webhook-receiver.js';
import { structuredCloudEvent } from '../src/webhook/cloudevent-body.js';
import { parseSigningSecrets, signWebhook, webhookIdOf } from '../src/webhook/standard-webhooks.js';
import { createStandardWebhookTarget } from '../src/webhook/webhook-target.js';
import { corpusCloudEvent } from './corpus.js';
import { captureLogger } from './capture-logger.js';

const headersOf = (id: string, timestamp: number, signature: string) => ({
  'webhook-id': id,
  'webhook-timestamp': String(timestamp),
  'webhook-signature': signature,
});

describe('signWebhook', () => {
  it('verifies with the reference library; every secret of a rotation verifies alone', () => {
    const [oldSecret, newSecret] = [newWebhookSecret(), newWebhookSecret()];
    const keys = parseSigningSecrets(`${oldSecret}  ${newSecret}`, 'WEBHOOK_SECRET');
    const body = JSON.stringify({ specversion: '1.0', id: '1', data: { ä: '🚀' } });
    const now = Math.floor(Date.now() / 1000);
    const signature = signWebhook('msg_abc', now, body, keys);
    expect(signature.split(' ')).toHaveLength(2);
    for (const part of signature.split(' ')) expect(part).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    for (const secret of [oldSecret, newSecret]) {
      expect(new Webhook(secret).verify(body, headersOf('msg_abc', now, signature))).toEqual(
        JSON.parse(body),
      );
    }
    expect(() =>
      new Webhook(newWebhookSecret()).verify(body, headersOf('msg_abc', now, signature)),
    ).toThrow(WebhookVerificationError);
  });

  it('a tampered body, id or timestamp does not verify', () => {
    const secret = newWebhookSecret();
    const keys = parseSigningSecrets(secret, 'WEBHOOK_SECRET');
    const body = '{"a":1}';
    const now = Math.floor(Date.now() / 1000);
    const signature = signWebhook('msg_1', now, body, keys);
    const wh = new Webhook(secret);
    expect(() => wh.verify('{"a":2}', headersOf('msg_1', now, signature))).toThrow(
      WebhookVerificationError,
    );
    expect(() => wh.verify('{"a":1} ', headersOf('msg_1', now, signature))).toThrow(
      WebhookVerificationError,
    );
    expect(() => wh.verify(body, headersOf('msg_2', now, signature))).toThrow(
      WebhookVerificationError,
    );
    expect(() => wh.verify(body, headersOf('msg_1', now + 1, signature))).toThrow(
      WebhookVerificationError,
    );
  });

  it.each([
    ['', /missing/],
    ['not-a-secret', /whsec_/],
    ['whsec_c2hvcnQ=', /24 to 64 bytes/],
    [`whsec_${Buffer.alloc(65).toString('base64')}`, /24 to 64 bytes/],
    [`${newWebhookSecret()} whsec_!!!`, /secret 2 of 2/],
  ])('refuses %j at start, naming the key and never the value', (raw, reason) => {
    let message = '';
    try {
      parseSigningSecrets(raw, 'WEBHOOK_SECRET');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(reason);
    expect(message).toContain('WEBHOOK_SECRET');
    for (const part of raw.split(' ').filter((p) => p.length > 6))
      expect(message).not.toContain(part);
  });

  it('each key is a secret as configured and as its base64 key alone (what a receiver decodes and may quote)', () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    const keys = parseSigningSecrets(` ${a}  ${b} `, 'WEBHOOK_SECRET');
    expect(keys.map((k) => k.secrets)).toEqual([
      [a, a.slice('whsec_'.length)],
      [b, b.slice('whsec_'.length)],
    ]);
  });

  it('webhookIdOf is the same for one identity, has no dot, and differs between events', () => {
    const a = webhookIdOf({ source: 'https://vc/sdk', id: '1' });
    expect(webhookIdOf({ source: 'https://vc/sdk', id: '1' })).toBe(a);
    expect(webhookIdOf({ source: 'https://vc/sdk', id: '2' })).not.toBe(a);
    expect(webhookIdOf({ source: 'https://vc2/sdk', id: '1' })).not.toBe(a);
    expect(a).toMatch(/^msg_[0-9a-f]{32}$/);
  });
});

describe('structuredCloudEvent', () => {
  it('the attributes and data of a vSphere event, as JSON', () => {
    const raw = corpusCloudEvent('kn-ps-zapier__test-payload.json');
    const event = new CloudEvent<unknown>(raw, false);
    const json = JSON.parse(structuredCloudEvent(event)) as Record<string, unknown>;
    expect(json).toMatchObject({
      specversion: '1.0',
      id: raw.id,
      source: raw.source,
      type: raw.type,
      data: raw.data,
    });
    expect(json).not.toHaveProperty('data_base64');
  });
});

let receiver: StandardWebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function setup() {
  receiver = await startStandardWebhookReceiver({
    secrets: [newWebhookSecret(), newWebhookSecret()],
  });
  const logger = captureLogger();
  const keys = parseSigningSecrets(receiver.secrets.join(' '), 'WEBHOOK_SECRET');
  const client = createTargetClient({
    target: createStandardWebhookTarget({ keys }),
    destination: parseDestination(receiver.url, {
      key: 'WEBHOOK_URL',
      from: 'test',
      secrets: keys.flatMap((k) => k.secrets),
    }),
    logger,
    timeoutMs: 500,
  });
  const post = (body = '{"specversion":"1.0"}') =>
    client.post({ id: 'msg_1', body }, { deadline: Date.now() + 5_000 });
  return { receiver, logger, post };
}

describe('the webhook target against a Standard Webhooks receiver', () => {
  it('posts the exact body as application/cloudevents+json with the three headers; the receiver verifies', async () => {
    const { receiver, post } = await setup();
    await post('{"x":"é"}');
    expect(receiver.accepted).toHaveLength(1);
    const request = receiver.accepted[0]!;
    expect(request.raw).toBe('{"x":"é"}');
    expect(request.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(request.headers['webhook-id']).toBe('msg_1');
    for (const secret of receiver.secrets)
      new Webhook(secret).verify(request.raw, request.headers as Record<string, string>);
  });

  it.each([
    [{ status: 410 }, UpstreamRejectedError, /asked to stop/],
    [{ status: 404 }, UpstreamRejectedError, /refused the event/],
    [{ status: 400 }, UpstreamRejectedError, /refused the event/],
    [
      { status: 301, headers: { location: 'https://elsewhere' } },
      UpstreamRejectedError,
      /redirect/,
    ],
    [{ status: 500 }, DependencyUnavailableError, /unavailable/],
    [{ status: 502 }, DependencyUnavailableError, /unavailable/],
    [{ status: 504 }, DependencyUnavailableError, /unavailable/],
  ])('%j', async (answer, kind, log) => {
    const { receiver, post, logger } = await setup();
    receiver.script(answer);
    const error = await post().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(kind);
    expect(logger.lines.map((l) => l.msg ?? '').join('\n')).toMatch(log);
  });

  it('503 and 429 carry their Retry-After to the broker', async () => {
    const { receiver, post } = await setup();
    receiver.script(
      { status: 503, headers: { 'retry-after': '7' } },
      { status: 429, headers: { 'retry-after': '9' } },
    );
    const unavailable = await post().catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(DependencyUnavailableError);
    expect((unavailable as DependencyUnavailableError).retryAfterSeconds).toBe(7);
    const limited = await post().catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterSeconds).toBe(9);
    expect(mapError(limited).status).toBe(503);
  });

  it('a timeout is a 503; the URL token and the secrets stay out of every log line and error', async () => {
    const { receiver, post, logger } = await setup();
    receiver.script(
      'hang',
      { status: 404, body: `no hook ${receiver.url} ${receiver.secrets[0]}` },
      // The base64 key alone, as a receiver's library decodes it from whsec_.
      { status: 500, body: `cannot verify with ${receiver.secrets[1]!.slice(6)}` },
    );
    const errors = [
      await post().catch((e: unknown) => e),
      await post().catch((e: unknown) => e),
      await post().catch((e: unknown) => e),
    ];
    expect(errors[0]).toBeInstanceOf(DependencyUnavailableError);
    const all = [
      ...logger.lines.map((l) => `${l.msg ?? ''} ${JSON.stringify(l.obj)}`),
      ...errors.map((e) => (e as Error).message),
    ].join('\n');
    expect((errors[2] as Error).message).toContain('cannot verify with ***');
    for (const secret of [
      receiver.token,
      ...receiver.secrets,
      ...receiver.secrets.map((s) => s.slice(6)),
    ]) {
      for (const form of [
        secret,
        encodeURIComponent(secret),
        Buffer.from(secret).toString('base64'),
      ])
        expect(all).not.toContain(form);
    }
  });
});
