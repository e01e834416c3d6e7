/**
 * slack-alert over HTTP with real peers: a real redis-server (dedupe, pacing, maintenance marks)
 * and a local Slack stand-in answering as Slack documents (@veba-functions/notifier/testing).
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
import { createSlackAlert, type SlackAlertOptions } from '../src/index.js';

let redis: RedisServer;
let receiver: WebhookReceiver;
const running: TestFunction[] = [];
const logText: string[] = [];
const answers: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  receiver = await startWebhookReceiver('slack');
});
afterEach(async () => {
  for (const fn of running.splice(0)) {
    await fn.stop();
    logText.push(fn.logs.text());
  }
  receiver.posts.length = 0;
});
afterAll(async () => {
  await receiver?.close();
  await redis?.stop();
  // Across every test: the webhook's token reached no log line and no HTTP answer, in any form.
  const all = [...logText, ...answers].join('\n');
  expect(all.length).toBeGreaterThan(0);
  for (const form of [
    receiver.secret,
    encodeURIComponent(`/${receiver.secret}`),
    Buffer.from(receiver.secret).toString('base64'),
    Buffer.from(receiver.secret).toString('base64url'),
  ])
    expect(all).not.toContain(form);
});

async function start(env: Record<string, string> = {}, options: SlackAlertOptions = {}) {
  const fn = await startTestFunction(
    createSlackAlert({
      state: { storeOptions: { keyPrefix: `${redis.keyPrefix}slack:` } },
      notifier: { keyPrefix: `${redis.keyPrefix}notifier:${Math.random()}:`, ...options.notifier },
      ...options,
    }),
    {
      env: {
        // The raw-URL SLACK_SECRET shape of VEBA's Python example.
        SLACK_SECRET: receiver.url,
        REDIS_URL: redis.url,
        FUNCTION_TIMEOUT_SECONDS: '10',
        LOG_LEVEL: 'debug',
        ...env,
      },
    },
  );
  running.push(fn);
  return fn;
}

async function send(
  fn: TestFunction,
  event: Parameters<typeof sendCloudEvent>[1],
  options = {},
): Promise<HttpReply> {
  const reply = await sendCloudEvent(fn.url, event, options);
  answers.push(reply.body);
  return reply;
}

/** Like the broker: retries 409 and 5xx until a final answer. */
async function sendWithRetries(fn: TestFunction, event: Parameters<typeof sendCloudEvent>[1]) {
  const attempts: HttpReply[] = [];
  for (let i = 0; i < 20; i++) {
    const reply = await send(fn, event);
    attempts.push(reply);
    if (reply.status !== 409 && reply.status < 500) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return attempts;
}

const powerOff = (id: string) => fixtureEvent('kn-ps-slack__test-payload.json', { id });

describe('exactly one Slack message per event', () => {
  it('three concurrent deliveries of one event to two instances sharing Redis post once', async () => {
    const a = await start();
    const b = await start();
    const event = powerOff(`dup-${Date.now()}`);
    const results = await Promise.all([
      sendWithRetries(a, event),
      sendWithRetries(b, event),
      sendWithRetries(a, event),
    ]);
    expect(receiver.posts).toHaveLength(1);
    const finals = results.map((attempts) => attempts.at(-1)!);
    for (const final of finals) expect(final.status).toBe(200);
    expect(finals.filter((f) => f.json().posted === true)).toHaveLength(1);
    expect(finals.filter((f) => typeof f.json().skipped === 'string')).toHaveLength(2);
    for (const attempt of results.flat()) expect([200, 409]).toContain(attempt.status);
    // A redelivery later (VEBA's replay after a restart) is still a duplicate, on either instance.
    expect((await send(b, event)).status).toBe(200);
    expect(receiver.posts).toHaveLength(1);
  });

  it("a failed post is not remembered: the broker's retry posts", async () => {
    const fn = await start();
    const event = powerOff(`retry-${Date.now()}`);
    receiver.script({ status: 500, body: 'rollup_error' });
    expect((await send(fn, event)).status).toBe(503);
    const retried = await send(fn, event);
    expect(retried.status).toBe(200);
    expect(retried.json()).toMatchObject({ posted: true });
    expect(receiver.posts).toHaveLength(2);
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
    receiver.script(answer);
    const reply = await send(fn, powerOff(`status-${answer.body}-${Date.now()}`));
    expect(reply.status).toBe(expected);
    if (expected === 502) {
      const errors = fn.logs.records().filter((r) => r.level === 'error');
      expect(errors.some((r) => r.targetCode === answer.body)).toBe(true);
    }
  });

  it('429 with a Retry-After past the deadline -> 503 with Retry-After for the broker', async () => {
    const fn = await start();
    receiver.script({ status: 429, body: 'rate_limited', retryAfter: '120' });
    const reply = await send(fn, powerOff(`ratelimit-${Date.now()}`));
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('120');
  });

  it('a 404 echoing the webhook path keeps the token out of logs and the answer', async () => {
    const fn = await start();
    const path = new URL(receiver.url).pathname;
    receiver.script({
      status: 404,
      body: `Cannot POST ${path} (${Buffer.from(receiver.secret).toString('base64')}, ${encodeURIComponent(path)})`,
    });
    const reply = await send(fn, powerOff(`echo-${Date.now()}`));
    expect(reply.status).toBe(502);
    expect(fn.logs.text()).toContain('Cannot POST ***');
  });
});

describe('configuration', () => {
  it('a SLACK_WEBHOOK_URL with user:password is refused at start, naming the key, without the value', async () => {
    const url = receiver.url.replace('http://', 'http://admin:hunter2@');
    await expect(start({ SLACK_SECRET: '', SLACK_WEBHOOK_URL: url })).rejects.toThrow(
      /SLACK_WEBHOOK_URL: invalid \(from env SLACK_WEBHOOK_URL\): the URL contains a user name or password/,
    );
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
      Array.from({ length: 40 }, (_, i) => send(fn, powerOff(`storm-${base}-${i}`))),
    );
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 40 }, () => 200));
    expect(receiver.posts.length).toBeLessThanOrEqual(6);
    // A message carrying k events answers k deliveries with events: k, so the sum of 1/k over the
    // answers counts the messages: every event was in exactly one posted message.
    const carried = replies.map((r) => r.json<{ events: number }>().events);
    expect(Math.round(carried.reduce((sum, k) => sum + 1 / k, 0))).toBe(receiver.posts.length);
    expect(
      await fn.metric('veba_notifier_messages_total', { kind: 'digest' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('NOTIFY_SUPPRESS_IN_MAINTENANCE=true: an alarm on a host in maintenance answers 200 skipped, counted', async () => {
    const fn = await start({ NOTIFY_SUPPRESS_IN_MAINTENANCE: 'true' });
    const enter = fixtureEvent('kn-pcli-hostmaint-alarms__enter-maint-payload.json', {
      id: `enter-${Date.now()}`,
    });
    expect((await send(fn, enter)).status).toBe(200);
    const host = (enter.data as { Host: { Name: string; Host: { Value: string } } }).Host;
    const alarm = fixtureEvent('kn-ps-slack-vsphere-alarm__test-payload.json', {
      id: `alarm-${Date.now()}`,
      source: enter.source,
    });
    alarm.data = {
      ...(alarm.data as object),
      Key: 99_000_001,
      Entity: { Name: host.Name, Entity: { Type: 'HostSystem', Value: host.Host.Value } },
    };
    const reply = await send(fn, alarm);
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ skipped: 'host in maintenance' });
    expect(
      await fn.metric('veba_notifier_suppressed_total', { reason: 'host_in_maintenance' }),
    ).toBe(1);
    expect(receiver.posts).toHaveLength(1);
  });
});

describe('event text named like Object.prototype members', () => {
  it.each(['toString', 'constructor', 'valueOf', 'hasOwnProperty', '__proto__'])(
    'com.vmware.vsphere.%s.v0, and an alarm turning to it: 200, never 500, never "undefined"',
    async (name) => {
      const fn = await start({}, { notifier: { rate: { perSecond: 50, burst: 1 } } });
      const event = powerOff(`proto-${name}-${Date.now()}`);
      const reply = await send(fn, { ...event, type: `com.vmware.vsphere.${name}.v0` });
      expect(reply.status).toBe(200);
      const alarm = fixtureEvent('kn-ps-slack-vsphere-alarm__test-payload.json', {
        id: `proto-alarm-${name}`,
      });
      alarm.data = { ...(alarm.data as object), To: name, From: name };
      expect((await send(fn, alarm)).status).toBe(200);
      expect(receiver.posts).toHaveLength(2);
      expect(JSON.stringify(receiver.posts.map((p) => p.body))).not.toContain('undefined');
    },
  );
});

describe('the VEBA sample events over HTTP', () => {
  it('answers 200 or 400 (never 500) to every sample the broker could deliver', async () => {
    const fn = await start({}, { notifier: { rate: { perSecond: 50, burst: 1 } } });
    let posted = 0;
    for (const [index, fixture] of loadVebaFixtures().entries()) {
      if (fixture.attributes?.specversion !== '1.0' || fixture.attributes.type === undefined)
        continue;
      // Several samples share an id; a source per sample keeps dedupe from merging them.
      const source = `https://vc-${index}.example/sdk`;
      const reply = fixture.valid
        ? await send(fn, fixtureEvent(fixture.file, { source }))
        : await send(
            fn,
            { ...(fixture.attributes as { id: string; source: string; type: string }), source },
            { rawBody: fixture.body },
          );
      expect({ file: fixture.file, status: reply.status }).toEqual({
        file: fixture.file,
        status: expect.toSatisfy((s: number) => s === 200 || s === 400) as unknown,
      });
      if (reply.status === 200 && reply.json().posted === true) posted += 1;
      if (reply.status === 400) expect(reply.json()).toMatchObject({ error: 'invalid_event' });
    }
    expect(posted).toBeGreaterThanOrEqual(20);
    expect(receiver.posts).toHaveLength(posted);
  });
});
