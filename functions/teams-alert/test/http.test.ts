/**
 * teams-alert over HTTP with real peers: a real redis-server and a local stand-in for the Power
 * Automate Workflows trigger answering as Microsoft documents (202 Accepted once queued; 413 over
 * 28 KB: https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook and
 * https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '@veba-functions/notifier/testing';
import {
  fixtureEvent,
  functionReadmeProblems,
  loadVebaFixtures,
  sendCloudEvent,
  startRedis,
  startTestFunction,
  type HttpReply,
  type RedisServer,
  type TestFunction,
} from '@veba-functions/test-helpers';
import { createTeamsAlert, type TeamsAlertOptions } from '../src/index.js';

let redis: RedisServer;
let receiver: WebhookReceiver;
const running: TestFunction[] = [];
const seen: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  receiver = await startWebhookReceiver('teams');
});
afterEach(async () => {
  for (const fn of running.splice(0)) {
    await fn.stop();
    seen.push(fn.logs.text());
  }
  receiver.posts.length = 0;
});
afterAll(async () => {
  await receiver?.close();
  await redis?.stop();
  // The webhook's signature reached no log line and no HTTP answer, in any form.
  const all = seen.join('\n');
  expect(all.length).toBeGreaterThan(0);
  for (const form of [
    receiver.secret,
    encodeURIComponent(receiver.secret),
    Buffer.from(receiver.secret).toString('base64'),
  ])
    expect(all).not.toContain(form);
});

async function start(env: Record<string, string> = {}, options: TeamsAlertOptions = {}) {
  const fn = await startTestFunction(
    createTeamsAlert({
      state: { storeOptions: { keyPrefix: `${redis.keyPrefix}teams:` } },
      notifier: { keyPrefix: `${redis.keyPrefix}notifier:${Math.random()}:`, ...options.notifier },
    }),
    {
      env: {
        // kn-ps-ngw-teams' secret, unchanged.
        TEAMS_SECRET: JSON.stringify({ TEAMS_WEBHOOK_URL: receiver.url }),
        REDIS_URL: redis.url,
        FUNCTION_TIMEOUT_SECONDS: '10',
        ...env,
      },
    },
  );
  running.push(fn);
  return fn;
}

async function send(fn: TestFunction, event: Parameters<typeof sendCloudEvent>[1], options = {}) {
  const reply: HttpReply = await sendCloudEvent(fn.url, event, options);
  seen.push(reply.body);
  return reply;
}

const powerOff = (id: string) => fixtureEvent('kn-ps-slack__test-payload.json', { id });

describe('teams-alert over HTTP', () => {
  it("posts one Adaptive Card per event (Teams' 202 is done), a duplicate is skipped", async () => {
    const fn = await start({ TEAMS_MESSAGE_PRETEXT: 'vc-prod' });
    const event = powerOff(`one-${Date.now()}`);
    const first = await send(fn, event);
    expect(first.status).toBe(200);
    expect(first.json()).toMatchObject({ posted: true, family: 'vm' });
    expect((await send(fn, event)).json()).toMatchObject({
      skipped: expect.stringMatching(/^duplicate/) as unknown,
    });
    expect(receiver.posts).toHaveLength(1);
    const body = receiver.posts[0]!.body as {
      type: string;
      attachments: Array<{ contentType: string; content: { body: Array<{ text?: string }> } }>;
    };
    expect(body.type).toBe('message');
    expect(body.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(body.attachments[0]!.content.body[0]!.text).toBe('vc-prod');
    expect(await fn.metric('veba_teams_webhook_requests_total', { result: 'ok' })).toBe(1);
  });

  it.each([
    [{ status: 429, body: '', retryAfter: '120' }, 503, '120'],
    [{ status: 502, body: 'Bad Gateway' }, 503, undefined],
    [
      {
        status: 404,
        body: '{"error":{"code":"WorkflowNotFound","message":"The workflow was not found"}}',
      },
      502,
      undefined,
    ],
    [
      { status: 413, body: '{"error":{"code":"RequestEntityTooLarge","message":"too large"}}' },
      500,
      undefined,
    ],
  ])('%j -> %i', async (answer, status, retryAfter) => {
    const fn = await start();
    receiver.script(answer);
    const reply = await send(fn, powerOff(`answer-${answer.status}-${Date.now()}`));
    expect(reply.status).toBe(status);
    expect(reply.headers['retry-after']).toBe(retryAfter);
    if (status === 502)
      expect(fn.logs.messages('error').join('\n')).toMatch(/WorkflowNotFound.*Power Automate/);
  });

  it('refuses a retired Office 365 connector URL at start, saying what to use', async () => {
    await expect(
      start({
        TEAMS_SECRET: '',
        TEAMS_WEBHOOK_URL: 'https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d',
      }),
    ).rejects.toThrow(/TEAMS_WEBHOOK_URL: invalid .*Office 365 connector URL .*Workflows webhook/);
  });

  it('refuses a URL with user:password in it at start, without echoing it', async () => {
    const url = receiver.url.replace('http://', 'http://svc:hunter2@');
    const error = await start({ TEAMS_SECRET: '', TEAMS_WEBHOOK_URL: url }).then(
      () => new Error('expected the start to fail'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(
      /TEAMS_WEBHOOK_URL: invalid \(from env TEAMS_WEBHOOK_URL\): the URL contains a user name or password/,
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('a burst is folded into digests, every delivery answered once its content was posted', async () => {
    const fn = await start({}, { notifier: { rate: { perSecond: 2, burst: 1 } } });
    const base = Date.now();
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => send(fn, powerOff(`burst-${base}-${i}`))),
    );
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 30 }, () => 200));
    const carried = replies.map((r) => r.json<{ events: number }>().events);
    expect(Math.round(carried.reduce((sum, k) => sum + 1 / k, 0))).toBe(receiver.posts.length);
    expect(receiver.posts.length).toBeLessThanOrEqual(6);
  });

  it('answers 200 or 400 (never 500) to every corpus sample the broker could deliver', async () => {
    const fn = await start({}, { notifier: { rate: { perSecond: 50, burst: 1 } } });
    let posted = 0;
    for (const [index, fixture] of loadVebaFixtures().entries()) {
      if (!fixture.valid || fixture.attributes?.specversion !== '1.0') continue;
      const reply = await send(
        fn,
        fixtureEvent(fixture.file, { source: `https://vc-${index}.example/sdk` }),
      );
      expect([200, 400], fixture.file).toContain(reply.status);
      if (reply.status === 200 && reply.json().posted === true) posted += 1;
    }
    expect(posted).toBeGreaterThanOrEqual(20);
    for (const post of receiver.posts) expect(post.bytes).toBeLessThanOrEqual(28 * 1024);
  });

  it('its README has the sections of every function and documents exactly its keys', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    expect(functionReadmeProblems(dir, createTeamsAlert())).toEqual([]);
  });
});
