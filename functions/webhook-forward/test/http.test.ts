/**
 * webhook-forward over HTTP with real peers: a real redis-server (dedupe) and a local Standard
 * Webhooks receiver (@veba-functions/notifier/testing) that verifies signatures as the spec says;
 * every signature is verified again with the reference `standardwebhooks` npm package, with key
 * rotation and a tampered body (spec: github.com/standard-webhooks/standard-webhooks
 * spec/standard-webhooks.md).
 */
import { fileURLToPath } from 'node:url';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, startStandardWebhookReceiver } from '@veba-functions/notifier/testing';
import {
  expectSignedCloudEvent,
  useNotifierHarness,
} from '@veba-functions/notifier/testing/function';
import { fixtureEvent, functionReadmeProblems } from '@veba-functions/test-helpers';
import { expectCorpusAnswered } from '@veba-functions/test-helpers/vitest';
import { createWebhookForward } from '../src/index.js';

// Across every test: the URL and the secrets reached no log line and no HTTP answer, in any form.
const h = useNotifierHarness(
  // Two secrets: the old and the new one of a rotation.
  () => startStandardWebhookReceiver({ secrets: [newWebhookSecret(), newWebhookSecret()] }),
  {
    secrets: (receiver) => [
      receiver.url,
      receiver.token,
      ...receiver.secrets,
      ...receiver.secrets.map((s) => s.slice(6)),
    ],
    env: (receiver) => ({
      WEBHOOK_SECRET_JSON: JSON.stringify({
        WEBHOOK_URL: receiver.url,
        WEBHOOK_SECRET: receiver.secrets.join(' '),
      }),
      WEBHOOK_TIMEOUT_SECONDS: '2',
    }),
  },
);

function start(env: Record<string, string> = {}) {
  return h.start(createWebhookForward({ state: h.isolated('webhook').state }), env);
}

/** kn-ps-zapier's sample as VEBA 0.8 sends it (the sample itself is in the legacy router format). */
const ssoFailure = (id: string) => {
  const { subject: _subject, ...event } = fixtureEvent('kn-ps-zapier__test-payload.json', {
    id,
    type: 'com.vmware.vsphere.com.vmware.sso.LoginFailure.v0',
  });
  return { ...event, eventclass: 'eventex' };
};
const headers = (r: { headers: Record<string, unknown> }) => r.headers as Record<string, string>;

describe('signed per Standard Webhooks', () => {
  it('the CloudEvent as structured JSON, signed with both secrets of a rotation; each verifies alone with the reference library; a tampered body does not', async () => {
    const fn = await start();
    const event = ssoFailure(`sso-${Date.now()}`);
    const reply = await h.send(fn, event);
    expect(reply.status).toBe(200);
    expect(h.receiver.accepted).toHaveLength(1);
    const request = h.receiver.accepted[0]!;
    expect(request.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of h.receiver.secrets) expectSignedCloudEvent(request, secret, event);
    const tampered = request.raw.replace('"UserName"', '"Username"');
    expect(tampered).not.toBe(request.raw);
    expect(() => new Webhook(h.receiver.secrets[0]!).verify(tampered, headers(request))).toThrow(
      WebhookVerificationError,
    );
    expect(() => new Webhook(newWebhookSecret()).verify(request.raw, headers(request))).toThrow(
      WebhookVerificationError,
    );
    expect(reply.json()).toEqual({ forwarded: true, webhookId: request.headers['webhook-id'] });
  });

  it('a receiver that knows only the new secret (rotation done on its side) still verifies', async () => {
    const fn = await start({
      WEBHOOK_SECRET_JSON: JSON.stringify({
        WEBHOOK_URL: h.receiver.url,
        WEBHOOK_SECRET: h.receiver.secrets[1],
      }),
    });
    expect((await h.send(fn, ssoFailure(`new-only-${Date.now()}`))).status).toBe(200);
    const request = h.receiver.accepted[0]!;
    new Webhook(h.receiver.secrets[1]!).verify(request.raw, headers(request));
    expect(() => new Webhook(h.receiver.secrets[0]!).verify(request.raw, headers(request))).toThrow(
      WebhookVerificationError,
    );
  });
});

describe('exactly one webhook per event', () => {
  it('three concurrent deliveries of one event to two instances sharing Redis send once', async () => {
    const a = await start();
    const b = await start();
    const event = ssoFailure(`dup-${Date.now()}`);
    await h.deliverConcurrently([a, b, a], event);
    expect(h.receiver.requests).toHaveLength(1);
  });

  it("a retry after the receiver's 503 carries the same webhook-id, a fresh timestamp and a valid signature", async () => {
    const fn = await start();
    h.receiver.script({ status: 503, headers: { 'retry-after': '7' } });
    const event = ssoFailure(`retry-${Date.now()}`);
    const first = await h.send(fn, event);
    expect(first.status).toBe(503);
    expect(first.headers['retry-after']).toBe('7');
    expect((await h.send(fn, event)).status).toBe(200);
    const [a, b] = h.receiver.requests;
    expect(b!.headers['webhook-id']).toBe(a!.headers['webhook-id']);
    for (const request of [a!, b!])
      new Webhook(h.receiver.secrets[0]!).verify(request.raw, headers(request));
    expect(h.receiver.deliveries.get(String(a!.headers['webhook-id']))).toBe(1);
  });
});

describe("the receiver's answers become broker statuses", () => {
  it.each([
    [{ status: 410 }, 502],
    [{ status: 400 }, 502],
    [{ status: 404 }, 502],
    [{ status: 401 }, 502],
    [{ status: 307, headers: { location: 'https://elsewhere.example/' } }, 502],
    [{ status: 429, headers: { 'retry-after': '11' } }, 503],
    [{ status: 502 }, 503],
    [{ status: 504 }, 503],
    [{ status: 500 }, 503],
  ])('%j -> %i', async (answer, status) => {
    const fn = await start();
    h.receiver.script(answer);
    const reply = await h.send(fn, ssoFailure(`status-${answer.status}-${Date.now()}`));
    expect(reply.status).toBe(status);
    if (answer.status === 429) expect(reply.headers['retry-after']).toBe('11');
    if (answer.status === 410) {
      expect(fn.logs.messages('error').join('\n')).toContain(
        'asked to stop receiving these webhooks',
      );
    }
  });

  it('no answer within WEBHOOK_TIMEOUT_SECONDS: 503', async () => {
    const fn = await start({ WEBHOOK_TIMEOUT_SECONDS: '0.5' });
    h.receiver.script('hang');
    expect((await h.send(fn, ssoFailure(`hang-${Date.now()}`))).status).toBe(503);
  });

  it('a 404 page echoing the URL and a secret keeps both out of the log', async () => {
    const fn = await start();
    h.receiver.script({
      status: 404,
      body: `no route ${new URL(h.receiver.url).pathname} ${h.receiver.secrets[0]!}`,
    });
    expect((await h.send(fn, ssoFailure(`echo-${Date.now()}`))).status).toBe(502);
    expect(fn.logs.text()).toContain('no route ***');
  });

  it('a 500 quoting a signing key without its whsec_ prefix (what receivers decode) keeps it out of the log and the answer', async () => {
    const fn = await start();
    const key = h.receiver.secrets[1]!.slice('whsec_'.length);
    h.receiver.script({ status: 500, body: `cannot verify with key ${key}` });
    const reply = await h.send(fn, ssoFailure(`key-${Date.now()}`));
    expect(reply.status).toBe(503);
    expect(`${fn.logs.text()}${reply.body}`).not.toContain(key);
    expect(reply.body).toContain('cannot verify with key ***');
  });
});

describe('events', () => {
  it('binary-mode data that is not JSON: 400, nothing sent', async () => {
    const fn = await start();
    const event = ssoFailure(`bad-${Date.now()}`);
    const reply = await h.send(fn, event, { rawBody: '{"Key": 1, oops' });
    expect(reply.status).toBe(400);
    expect(h.receiver.requests).toHaveLength(0);
  });

  it('a type that is not a vSphere type is forwarded too (the Triggers are the filter)', async () => {
    const fn = await start();
    const reply = await h.send(fn, {
      specversion: '1.0',
      id: `harbor-${Date.now()}`,
      source: '/kn-go-harbor-webhook',
      type: 'com.vmware.harbor.push_artifact.v0',
      datacontenttype: 'application/json',
      data: { repository: 'library/nginx' },
    });
    expect(reply.status).toBe(200);
    expect(h.receiver.accepted[0]!.json).toMatchObject({
      type: 'com.vmware.harbor.push_artifact.v0',
    });
  });

  it('answers 200 or 400 (never 500) to every sample the broker could deliver', async () => {
    const fn = await start();
    const forwarded = await expectCorpusAnswered(h, fn, (reply) => reply.json().forwarded === true);
    expect(forwarded).toBeGreaterThanOrEqual(20);
    expect(h.receiver.accepted).toHaveLength(forwarded);
  });
});

describe('configuration', () => {
  it("kn-ps-zapier's ZAPIER_SECRET as it is (its URL), with WEBHOOK_SECRET beside it", async () => {
    const fn = await start({
      WEBHOOK_SECRET_JSON: '',
      ZAPIER_SECRET: JSON.stringify({ ZAPIER_WEBHOOK_URL: h.receiver.url }),
      WEBHOOK_SECRET: h.receiver.secrets[0]!,
    });
    expect((await h.send(fn, ssoFailure(`zapier-${Date.now()}`))).status).toBe(200);
    expect(h.receiver.accepted).toHaveLength(1);
  });

  it.each([
    [
      { WEBHOOK_SECRET_JSON: JSON.stringify({ WEBHOOK_URL: 'https://h.receiver.example/h' }) },
      /WEBHOOK_SECRET: missing/,
    ],
    [{ WEBHOOK_SECRET: 'not-a-whsec-secret' }, /WEBHOOK_SECRET: invalid.*whsec_/],
    [{ WEBHOOK_URL: 'http://h.receiver.example/hooks/x' }, /WEBHOOK_URL: invalid.*https/],
    [
      { WEBHOOK_SECRET_JSON: '', WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
      /WEBHOOK_URL: missing/,
    ],
  ])('%j is refused at start, naming the key', async (env, reason) => {
    const error = await start(env).catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(reason);
    expect(String((error as Error).message)).not.toContain('not-a-whsec-secret');
  });

  it('its README has the sections of every function and documents exactly its keys', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    expect(functionReadmeProblems(dir, createWebhookForward())).toEqual([]);
  });
});
