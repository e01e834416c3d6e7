/**
 * slack-alert over HTTP with real peers: a real redis-server (dedupe, pacing, maintenance marks)
 * and a local Slack stand-in answering as Slack documents (@veba-functions/notifier/testing).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startWebhookReceiver } from '@veba-functions/notifier/testing';
import {
  alarmOnHost,
  expectEveryEventCarriedOnce,
  expectUserInfoUrlRefused,
  useNotifierHarness,
} from '@veba-functions/notifier/testing/function';
import { fixtureEvent, functionReadmeProblems } from '@veba-functions/test-helpers';
import { expectCorpusAnswered } from '@veba-functions/test-helpers/vitest';
import { SLACK_KEYS } from '../src/config.js';
import { createSlackAlert, type SlackAlertOptions } from '../src/index.js';

// Across every test: the webhook's token reached no log line and no HTTP answer, in any form.
const h = useNotifierHarness(() => startWebhookReceiver('slack'), {
  secrets: (receiver) => [receiver.secret],
  // The raw-URL SLACK_SECRET shape of VEBA's Python example.
  env: (receiver) => ({ SLACK_SECRET: receiver.url }),
});

function start(env: Record<string, string> = {}, options: SlackAlertOptions = {}) {
  return h.start(createSlackAlert(h.isolated('slack', options.notifier)), env);
}

const powerOff = (id: string) => fixtureEvent('kn-ps-slack__test-payload.json', { id });

describe('exactly one Slack message per event', () => {
  it('three concurrent deliveries of one event to two instances sharing Redis post once', async () => {
    const a = await start();
    const b = await start();
    const event = powerOff(`dup-${Date.now()}`);
    const finals = await h.deliverConcurrently([a, b, a], event);
    expect(h.receiver.posts).toHaveLength(1);
    expect(finals.filter((f) => f.json().posted === true)).toHaveLength(1);
    expect(finals.filter((f) => typeof f.json().skipped === 'string')).toHaveLength(2);
    // A redelivery later (VEBA's replay after a restart) is still a duplicate, on either instance.
    expect((await h.send(b, event)).status).toBe(200);
    expect(h.receiver.posts).toHaveLength(1);
  });

  it("a failed post is not remembered: the broker's retry posts", async () => {
    const fn = await start();
    const event = powerOff(`retry-${Date.now()}`);
    h.receiver.script({ status: 500, body: 'rollup_error' });
    expect((await h.send(fn, event)).status).toBe(503);
    const retried = await h.send(fn, event);
    expect(retried.status).toBe(200);
    expect(retried.json()).toMatchObject({ posted: true });
    expect(h.receiver.posts).toHaveLength(2);
    expect(await fn.metric('veba_slack_webhook_requests_total', { result: 'unavailable' })).toBe(1);
    expect(await fn.metric('veba_slack_webhook_requests_total', { result: 'ok' })).toBe(1);
  });
});

describe("Slack's answers become broker statuses", () => {
  it.each([
    [{ status: 404, body: 'channel_not_found' }, 502],
    [{ status: 410, body: 'channel_is_archived' }, 502],
    [{ status: 403, body: 'action_prohibited' }, 502],
    [{ status: 404, body: 'no_service' }, 502],
    [{ status: 400, body: 'invalid_payload' }, 500],
    [{ status: 503, body: 'service_unavailable' }, 503],
  ])('%j -> %i', async (answer, expected) => {
    const fn = await start();
    h.receiver.script(answer);
    const reply = await h.send(fn, powerOff(`status-${answer.body}-${Date.now()}`));
    expect(reply.status).toBe(expected);
    if (expected === 502) {
      const errors = fn.logs.records().filter((r) => r.level === 'error');
      expect(errors.some((r) => r.targetCode === answer.body)).toBe(true);
    }
  });

  it('429 with a Retry-After past the deadline -> 503 with Retry-After for the broker', async () => {
    const fn = await start();
    h.receiver.script({ status: 429, body: 'rate_limited', retryAfter: '120' });
    const reply = await h.send(fn, powerOff(`ratelimit-${Date.now()}`));
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('120');
  });

  it('a 404 echoing the webhook path keeps the token out of logs and the answer', async () => {
    const fn = await start();
    const path = new URL(h.receiver.url).pathname;
    h.receiver.script({
      status: 404,
      body: `Cannot POST ${path} (${Buffer.from(h.receiver.secret).toString('base64')}, ${encodeURIComponent(path)})`,
    });
    const reply = await h.send(fn, powerOff(`echo-${Date.now()}`));
    expect(reply.status).toBe(502);
    expect(fn.logs.text()).toContain('Cannot POST ***');
  });
});

describe('configuration', () => {
  it('a SLACK_WEBHOOK_URL with user:password is refused at start, naming the key, without the value', async () => {
    await expectUserInfoUrlRefused(start, SLACK_KEYS, h.receiver.url);
  });

  it('a plain http URL to a host that is not loopback is refused', async () => {
    await expect(
      start({ SLACK_SECRET: '', SLACK_WEBHOOK_URL: 'http://hooks.slack.com/services/T/B/x' }),
    ).rejects.toThrow(/expected an https URL/);
  });

  it('its README has the sections of every function and documents exactly its keys', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    expect(functionReadmeProblems(dir, createSlackAlert())).toEqual([]);
  });
});

describe('storms and maintenance', () => {
  it('a burst of 40 events: every delivery answers 200 once its content was posted, in a handful of messages', async () => {
    const fn = await start({}, { notifier: { rate: { perSecond: 2, burst: 1 } } });
    const base = Date.now();
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => h.send(fn, powerOff(`storm-${base}-${i}`))),
    );
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 40 }, () => 200));
    expect(h.receiver.posts.length).toBeLessThanOrEqual(6);
    expectEveryEventCarriedOnce(replies, h.receiver.posts.length);
    expect(
      await fn.metric('veba_notifier_messages_total', { kind: 'digest' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('NOTIFY_SUPPRESS_IN_MAINTENANCE=true: an alarm on a host in maintenance answers 200 skipped, counted', async () => {
    const fn = await start({ NOTIFY_SUPPRESS_IN_MAINTENANCE: 'true' });
    const enter = fixtureEvent('kn-pcli-hostmaint-alarms__enter-maint-payload.json', {
      id: `enter-${Date.now()}`,
    });
    expect((await h.send(fn, enter)).status).toBe(200);
    const reply = await h.send(fn, alarmOnHost(enter, `alarm-${Date.now()}`, { Key: 99_000_001 }));
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ skipped: 'host in maintenance' });
    expect(
      await fn.metric('veba_notifier_suppressed_total', { reason: 'host_in_maintenance' }),
    ).toBe(1);
    expect(h.receiver.posts).toHaveLength(1);
  });
});

describe('event text named like Object.prototype members', () => {
  it.each(['toString', 'constructor', 'valueOf', 'hasOwnProperty', '__proto__'])(
    'com.vmware.vsphere.%s.v0, and an alarm turning to it: 200, never 500, never "undefined"',
    async (name) => {
      const fn = await start({}, { notifier: { rate: { perSecond: 50, burst: 1 } } });
      const event = powerOff(`proto-${name}-${Date.now()}`);
      const reply = await h.send(fn, { ...event, type: `com.vmware.vsphere.${name}.v0` });
      expect(reply.status).toBe(200);
      const alarm = fixtureEvent('kn-ps-slack-vsphere-alarm__test-payload.json', {
        id: `proto-alarm-${name}`,
      });
      alarm.data = { ...(alarm.data as object), To: name, From: name };
      expect((await h.send(fn, alarm)).status).toBe(200);
      expect(h.receiver.posts).toHaveLength(2);
      expect(JSON.stringify(h.receiver.posts.map((p) => p.body))).not.toContain('undefined');
    },
  );
});

describe('the VEBA sample events over HTTP', () => {
  it('answers 200 or 400 (never 500) to every sample the broker could deliver', async () => {
    const fn = await start({}, { notifier: { rate: { perSecond: 50, burst: 1 } } });
    // Several samples share an id: a source per sample keeps dedupe from merging them.
    const posted = await expectCorpusAnswered(h, fn, (reply) => reply.json().posted === true);
    expect(posted).toBeGreaterThanOrEqual(20);
    expect(h.receiver.posts).toHaveLength(posted);
  });
});
