/**
 * google-chat-alert over HTTP with real peers: a real redis-server and a local stand-in for a
 * Google Chat incoming webhook answering as Google documents (200 with the Message resource;
 * Google API errors as JSON; 32,000 bytes at most:
 * https://developers.google.com/workspace/chat/quickstart/webhooks,
 * https://developers.google.com/workspace/chat/limits).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { googleError, startWebhookReceiver } from '@veba-functions/notifier/testing';
import {
  expectUserInfoUrlRefused,
  useNotifierHarness,
} from '@veba-functions/notifier/testing/function';
import { fixtureEvent, functionReadmeProblems } from '@veba-functions/test-helpers';
import { expectCorpusAnswered } from '@veba-functions/test-helpers/vitest';
import { GOOGLE_CHAT_KEYS } from '../src/config.js';
import { createGoogleChatAlert, type GoogleChatAlertOptions } from '../src/index.js';

// The webhook's token and key reached no log line and no HTTP answer, in any form.
const h = useNotifierHarness(() => startWebhookReceiver('google-chat'), {
  secrets: (receiver) => [receiver.secret, new URL(receiver.url).searchParams.get('key')!],
  // kn-ps-google-chat's secret, unchanged.
  env: (receiver) => ({
    GOOGLE_CHAT_SECRET: JSON.stringify({ GOOGLE_CHAT_WEBHOOK_URL: receiver.url }),
  }),
});

function start(env: Record<string, string> = {}, options: GoogleChatAlertOptions = {}) {
  return h.start(createGoogleChatAlert(h.isolated('gchat', options.notifier)), env);
}

describe('google-chat-alert over HTTP', () => {
  it("posts VEBA's backup failure sample as a card with a text fallback, once", async () => {
    const fn = await start();
    const event = fixtureEvent('kn-ps-google-chat__test-payload.json', {
      id: `backup-${Date.now()}`,
    });
    expect((await h.send(fn, event)).json()).toMatchObject({ posted: true, family: 'backup-job' });
    expect((await h.send(fn, event)).json()).toMatchObject({
      skipped: expect.stringMatching(/^duplicate/) as unknown,
    });
    expect(h.receiver.posts).toHaveLength(1);
    const body = h.receiver.posts[0]!.body as {
      text: string;
      cardsV2: Array<{ card: { header: { title: string } } }>;
    };
    expect(body.text).toMatch(/vCenter backup job failed/);
    expect(body.cardsV2[0]!.card.header.title).toMatch(/vCenter backup job failed/);
  });

  it('red -> yellow -> green of one alarm on one object read as one thread', async () => {
    const fn = await start();
    const base = Date.now();
    for (const [i, to] of ['red', 'yellow', 'green'].entries()) {
      const alarm = fixtureEvent('kn-ps-slack-vsphere-alarm__test-payload.json', {
        id: `alarm-${base}-${i}`,
      });
      alarm.data = { ...(alarm.data as object), Key: 5000 + i, To: to };
      expect((await h.send(fn, alarm)).status).toBe(200);
    }
    const keys = h.receiver.posts.map(
      (p) => (p.body as { thread?: { threadKey: string } }).thread?.threadKey,
    );
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    for (const post of h.receiver.posts)
      expect(post.path).toContain('messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
  });

  it.each([
    [googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'), '120', 503],
    [googleError(503, 'UNAVAILABLE', 'try again'), undefined, 503],
    [googleError(404, 'NOT_FOUND', 'Requested entity was not found.'), undefined, 502],
    [googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission'), undefined, 502],
    [googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'), undefined, 500],
  ])('%j -> %i', async (answer, retryAfter, status) => {
    const fn = await start();
    h.receiver.script(retryAfter ? ({ ...(answer as object), retryAfter } as never) : answer);
    const reply = await h.send(
      fn,
      fixtureEvent('kn-ps-slack__test-payload.json', { id: `a-${Math.random()}` }),
    );
    expect(reply.status).toBe(status);
    expect(reply.headers['retry-after']).toBe(retryAfter);
  });

  it('refuses a URL with user:password in it at start, without echoing it', async () => {
    await expectUserInfoUrlRefused(start, GOOGLE_CHAT_KEYS, h.receiver.url);
  });

  it('answers 200 or 400 (never 500) to every corpus sample the broker could deliver, each within 32,000 bytes', async () => {
    const fn = await start({}, { notifier: { rate: { perSecond: 50, burst: 1 } } });
    const posted = await expectCorpusAnswered(h, fn, (reply) => reply.json().posted === true);
    expect(posted).toBeGreaterThanOrEqual(20);
    for (const post of h.receiver.posts) expect(post.bytes).toBeLessThanOrEqual(32_000);
  });

  it('its README has the sections of every function and documents exactly its keys', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    expect(functionReadmeProblems(dir, createGoogleChatAlert())).toEqual([]);
  });
});
