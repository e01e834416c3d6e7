/**
 * teams-alert over HTTP with real peers: a real redis-server and a local stand-in for the Power
 * Automate Workflows trigger answering as Microsoft documents (202 Accepted once queued; 413 over
 * 28 KB: https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook and
 * https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startWebhookReceiver } from '@veba-functions/notifier/testing';
import {
  expectEveryEventCarriedOnce,
  expectUserInfoUrlRefused,
  useNotifierHarness,
} from '@veba-functions/notifier/testing/function';
import { fixtureEvent, functionReadmeProblems } from '@veba-functions/test-helpers';
import { expectCorpusAnswered } from '@veba-functions/test-helpers/vitest';
import { TEAMS_KEYS } from '../src/config.js';
import { createTeamsAlert, type TeamsAlertOptions } from '../src/index.js';

// The webhook's signature reached no log line and no HTTP answer, in any form.
const h = useNotifierHarness(() => startWebhookReceiver('teams'), {
  secrets: (receiver) => [receiver.secret],
  // kn-ps-ngw-teams' secret, unchanged.
  env: (receiver) => ({ TEAMS_SECRET: JSON.stringify({ TEAMS_WEBHOOK_URL: receiver.url }) }),
});

function start(env: Record<string, string> = {}, options: TeamsAlertOptions = {}) {
  return h.start(createTeamsAlert(h.isolated('teams', options.notifier)), env);
}

const powerOff = (id: string) => fixtureEvent('kn-ps-slack__test-payload.json', { id });

describe('teams-alert over HTTP', () => {
  it("posts one Adaptive Card per event (Teams' 202 is done), a duplicate is skipped", async () => {
    const fn = await start({ TEAMS_MESSAGE_PRETEXT: 'vc-prod' });
    const event = powerOff(`one-${Date.now()}`);
    const first = await h.send(fn, event);
    expect(first.status).toBe(200);
    expect(first.json()).toMatchObject({ posted: true, family: 'vm' });
    expect((await h.send(fn, event)).json()).toMatchObject({
      skipped: expect.stringMatching(/^duplicate/) as unknown,
    });
    expect(h.receiver.posts).toHaveLength(1);
    const body = h.receiver.posts[0]!.body as {
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
    h.receiver.script(answer);
    const reply = await h.send(fn, powerOff(`answer-${answer.status}-${Date.now()}`));
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
    await expectUserInfoUrlRefused(start, TEAMS_KEYS, h.receiver.url);
  });

  it('a burst is folded into digests, every delivery answered once its content was posted', async () => {
    const fn = await start({}, { notifier: { rate: { perSecond: 2, burst: 1 } } });
    const base = Date.now();
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => h.send(fn, powerOff(`burst-${base}-${i}`))),
    );
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 30 }, () => 200));
    expectEveryEventCarriedOnce(replies, h.receiver.posts.length);
    expect(h.receiver.posts.length).toBeLessThanOrEqual(6);
  });

  it('answers 200 or 400 (never 500) to every corpus sample the broker could deliver', async () => {
    const fn = await start({}, { notifier: { rate: { perSecond: 50, burst: 1 } } });
    const posted = await expectCorpusAnswered(h, fn, (reply) => reply.json().posted === true);
    expect(posted).toBeGreaterThanOrEqual(20);
    for (const post of h.receiver.posts) expect(post.bytes).toBeLessThanOrEqual(28 * 1024);
  });

  it('its README has the sections of every function and documents exactly its keys', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    expect(functionReadmeProblems(dir, createTeamsAlert())).toEqual([]);
  });
});
