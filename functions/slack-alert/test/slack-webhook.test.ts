import {
  DependencyUnavailableError,
  UpstreamRejectedError,
  mapError,
} from '@veba-functions/runtime';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlackMessage } from '../src/slack-message.js';
import {
  createSlackWebhookClient,
  maskWebhookUrl,
  parseRetryAfter,
  SlackPayloadError,
  type SlackWebhookClientOptions,
  type WebhookLogger,
} from '../src/slack-webhook.js';
import { OK, startSlackReceiver, WEBHOOK_SECRET, type SlackReceiver } from './slack-receiver.js';

interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string | undefined;
}

function captureLogger(): WebhookLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg?: string) =>
    lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const message: SlackMessage = {
  text: 'hello',
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hello' } }],
};

let receiver: SlackReceiver;
let logger: ReturnType<typeof captureLogger>;

beforeEach(async () => {
  receiver = await startSlackReceiver();
  logger = captureLogger();
});
afterEach(async () => {
  await receiver.close();
  // Whatever happened, the webhook's secret path never reached a log line.
  expect(JSON.stringify(logger.lines)).not.toContain(WEBHOOK_SECRET);
});

function client(options: Partial<SlackWebhookClientOptions> = {}) {
  return createSlackWebhookClient({ url: receiver.url, timeoutMs: 2000, logger, ...options });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain(WEBHOOK_SECRET);
    return error as Error;
  }
  throw new Error('expected the post to fail');
}

const soon = (ms = 10_000) => Date.now() + ms;

describe('Slack answers', () => {
  it('200 ok: posts the message as JSON once', async () => {
    await client().post(message, { deadline: soon() });
    expect(receiver.posts).toHaveLength(1);
    expect(receiver.posts[0]!.body).toEqual(message);
    expect(receiver.posts[0]!.contentType).toMatch(/^application\/json/);
    expect(receiver.posts[0]!.path).toBe(`/services/T0001/B0001/${WEBHOOK_SECRET}`);
  });

  it('429 with Retry-After inside the deadline: waits it out, then posts', async () => {
    receiver.script({ status: 429, body: 'rate_limited', retryAfter: '1' }, OK);
    await client().post(message, { deadline: soon(10_000) });
    expect(receiver.posts).toHaveLength(2);
    expect(receiver.posts[1]!.at - receiver.posts[0]!.at).toBeGreaterThanOrEqual(900);
    expect(
      logger.lines.some(
        (l) => l.level === 'warn' && (l.obj as { retryAfterMs?: number }).retryAfterMs === 1000,
      ),
    ).toBe(true);
  });

  it('429 with Retry-After past the deadline: 503 with Retry-After, no second request', async () => {
    receiver.script({ status: 429, body: 'rate_limited', retryAfter: '30' });
    const error = await failure(client().post(message, { deadline: soon(5000) }));
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).retryAfterSeconds).toBe(30);
    expect(mapError(error).status).toBe(503);
    expect(receiver.posts).toHaveLength(1);
  });

  it('after a 429 the whole client holds off, so the next event fails fast instead of hammering Slack', async () => {
    receiver.script({ status: 429, body: 'rate_limited', retryAfter: '20' });
    const slack = client();
    await failure(slack.post(message, { deadline: soon(5000) }));
    const second = await failure(slack.post(message, { deadline: soon(5000) }));
    expect(second).toBeInstanceOf(DependencyUnavailableError);
    expect((second as DependencyUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(19);
    expect(receiver.posts).toHaveLength(1);
  });

  it('a 429 refuses at once the queued posts whose deadline it overruns, instead of sending them into the limit', async () => {
    receiver.script({ status: 429, body: 'rate_limited', retryAfter: '2' }, OK);
    const slack = client();
    const first = slack.post({ text: 'first', blocks: [] }, { deadline: soon(10_000) });
    const second = slack.post({ text: 'second', blocks: [] }, { deadline: soon(2000) });
    const error = await failure(second);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    await first;
    expect(receiver.posts.map((p) => (p.body as SlackMessage).text)).toEqual(['first', 'first']);
    expect(receiver.posts[1]!.at - receiver.posts[0]!.at).toBeGreaterThanOrEqual(1900);
  });

  it.each([
    [500, 'rollup_error'],
    [502, 'bad gateway'],
    [503, 'service_unavailable'],
  ])('%i %s: 503', async (status, body) => {
    receiver.script({ status, body });
    const error = await failure(client().post(message, { deadline: soon() }));
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(mapError(error).status).toBe(503);
    expect(error.message).toContain(String(status));
  });

  it('no answer within the timeout: 503', async () => {
    receiver.script('hang');
    const error = await failure(client({ timeoutMs: 300 }).post(message, { deadline: soon() }));
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error.message).toMatch(/no answer within 300 ms/);
    expect(mapError(error).status).toBe(503);
  });

  it('connection refused: 503', async () => {
    const url = receiver.url;
    await receiver.close();
    const error = await failure(
      createSlackWebhookClient({ url, logger }).post(message, { deadline: soon() }),
    );
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    receiver = await startSlackReceiver(); // for afterEach
  });

  it.each(['invalid_payload', 'invalid_blocks', 'too_many_attachments', 'user_not_found'])(
    "400 %s: our bug, a plain error (500) with Slack's body logged",
    async (code) => {
      receiver.script({ status: 400, body: code });
      const error = await failure(client().post(message, { deadline: soon() }));
      expect(error).toBeInstanceOf(SlackPayloadError);
      expect(error).not.toBeInstanceOf(UpstreamRejectedError);
      expect((error as SlackPayloadError).slackCode).toBe(code);
      expect(mapError(error).status).toBe(500);
      const logged = logger.lines.find((l) => l.level === 'error');
      expect(logged?.obj).toMatchObject({ slackStatus: 400, slackCode: code, slackBody: code });
    },
  );

  it.each([
    [403, 'action_prohibited'],
    [403, 'invalid_token'],
    [403, 'posting_to_general_channel_denied'],
    [404, 'channel_not_found'],
    [404, 'no_service'],
    [404, 'no_team'],
    [404, 'team_disabled'],
    [410, 'channel_is_archived'],
  ])('%i %s: misconfiguration, logged by code, 502', async (status, code) => {
    receiver.script({ status, body: code });
    const error = await failure(client().post(message, { deadline: soon() }));
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(mapError(error).status).toBe(502);
    expect(error.message).toContain(code);
    const logged = logger.lines.filter((l) => l.level === 'error');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.msg).toContain(code);
    expect(logged[0]!.obj).toMatchObject({
      slackStatus: status,
      slackCode: code,
      webhook: maskWebhookUrl(receiver.url),
    });
    expect(receiver.posts).toHaveLength(1);
  });
});

describe('pacing: one message per second per webhook', () => {
  it('spaces concurrent posts at least a second apart, in call order', async () => {
    const slack = client();
    const messages = [1, 2, 3].map((n): SlackMessage => ({ text: `m${n}`, blocks: [] }));
    await Promise.all(messages.map((m) => slack.post(m, { deadline: soon(10_000) })));
    expect(receiver.posts.map((p) => (p.body as SlackMessage).text)).toEqual(['m1', 'm2', 'm3']);
    for (let i = 1; i < receiver.posts.length; i++) {
      expect(receiver.posts[i]!.at - receiver.posts[i - 1]!.at).toBeGreaterThanOrEqual(900);
    }
  });

  it('fails fast with 503 when the next slot comes after the event deadline, without sending', async () => {
    const slack = client({ minSendWindowMs: 500 });
    await slack.post(message, { deadline: soon() });
    const error = await failure(slack.post(message, { deadline: soon(1200) }));
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).retryAfterSeconds).toBe(1);
    expect(receiver.posts).toHaveLength(1);
  });

  it('two clients (two instances) pace independently', async () => {
    const a = client();
    const b = client();
    await Promise.all([
      a.post(message, { deadline: soon(800) }),
      b.post(message, { deadline: soon(800) }),
    ]);
    expect(receiver.posts).toHaveLength(2);
  });
});

describe('redirects and metrics', () => {
  it('3xx (a proxy or a wrong URL, never Slack): 502, and the redirect is not followed', async () => {
    receiver.script({ status: 302, body: '', location: 'http://127.0.0.1:1/elsewhere' });
    const error = await failure(client().post(message, { deadline: soon() }));
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(receiver.posts).toHaveLength(1);
  });

  it('counts every attempt by result in veba_slack_webhook_requests_total', async () => {
    const metrics = new Registry();
    const slack = client({ metrics, minIntervalMs: 0 });
    receiver.script(
      { status: 429, body: 'rate_limited', retryAfter: '0' },
      OK,
      { status: 404, body: 'channel_not_found' },
      { status: 400, body: 'invalid_blocks' },
      { status: 500, body: 'rollup_error' },
    );
    await slack.post(message, { deadline: soon() });
    for (let i = 0; i < 3; i++)
      await slack.post(message, { deadline: soon() }).catch(() => undefined);
    const metric = await metrics.getSingleMetric('veba_slack_webhook_requests_total')!.get();
    const values: Record<string, number> = {};
    for (const v of metric.values) values[String(v.labels.result)] = v.value;
    expect(values).toEqual({
      rate_limited: 1,
      ok: 1,
      misconfigured: 1,
      rejected_payload: 1,
      unavailable: 1,
    });
  });
});

describe('helpers', () => {
  it('maskWebhookUrl keeps only scheme, host and the first path segment', () => {
    expect(maskWebhookUrl('https://hooks.slack.com/services/T0/B0/abc')).toBe(
      'https://hooks.slack.com/services/***',
    );
    expect(maskWebhookUrl('not a url')).toBe('***');
  });

  it('parseRetryAfter reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('30')).toBe(30_000);
    expect(parseRetryAfter('1.5')).toBe(1500);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now)).toBe(10_000);
  });
});
