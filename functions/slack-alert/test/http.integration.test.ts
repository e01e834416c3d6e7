/**
 * slack-alert over HTTP, through the runtime's startFunction, with a real redis-server for dedupe
 * and a local stand-in for Slack (test/slack-receiver.ts).
 */
import { startFunction, type RunningFunction } from '@veba-functions/runtime';
import { startRedis, type RedisServer } from '@veba-functions/test-helpers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSlackAlertFunction, type SlackAlertFunctionOptions } from '../src/index.js';
import type { SlackMessage } from '../src/slack-message.js';
import { FIXTURES, fixtureEvent, readFixtureText } from './fixtures.js';
import { startSlackReceiver, WEBHOOK_SECRET, type SlackReceiver } from './slack-receiver.js';

let redis: RedisServer;
let receiver: SlackReceiver;
const logLines: string[] = [];
const running: RunningFunction[] = [];

beforeAll(async () => {
  redis = await startRedis();
  receiver = await startSlackReceiver();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((fn) => fn.stop()));
  receiver.posts.length = 0;
});
afterAll(async () => {
  await receiver?.close();
  await redis?.stop();
  // Across every test: the webhook's secret path never reached a log line.
  expect(logLines.length).toBeGreaterThan(0);
  expect(logLines.join('\n')).not.toContain(WEBHOOK_SECRET);
});

async function startInstance(
  options: SlackAlertFunctionOptions = {},
  env: Record<string, string> = {},
): Promise<RunningFunction> {
  const fn = await startFunction(
    createSlackAlertFunction({
      state: { storeOptions: { keyPrefix: `${redis.keyPrefix}slack:` } },
      ...options,
    }),
    {
      // The raw-URL SLACK_SECRET shape of VEBA's Python example.
      env: {
        SLACK_SECRET: receiver.url,
        REDIS_URL: redis.url,
        FUNCTION_TIMEOUT_SECONDS: '10',
        LOG_LEVEL: 'debug',
        ...env,
      },
      port: 0,
      host: '127.0.0.1',
      logDestination: { write: (line: string) => void logLines.push(line) },
    },
  );
  running.push(fn);
  expect(fn.ready).toBe(true);
  return fn;
}

interface Delivery {
  status: number;
  body: unknown;
  retryAfter: string | null;
}

/** Delivers an event the way the broker does: binary mode, `ce-*` headers and the JSON data as the body. */
async function deliver(
  fn: RunningFunction,
  event: Record<string, unknown>,
  rawBody?: string,
): Promise<Delivery> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [key, value] of Object.entries(event)) {
    if (key === 'data' || key === 'datacontenttype' || value === undefined || value === null)
      continue;
    headers[`ce-${key}`] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const response = await fetch(fn.url, {
    method: 'POST',
    headers,
    body: rawBody ?? JSON.stringify(event.data),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, retryAfter: response.headers.get('retry-after') };
}

/** Like the broker: retries 409 and 5xx (with a short fixed backoff here) until a final answer. */
async function deliverWithRetries(
  fn: RunningFunction,
  event: Record<string, unknown>,
): Promise<Delivery[]> {
  const attempts: Delivery[] = [];
  for (let i = 0; i < 20; i++) {
    const result = await deliver(fn, event);
    attempts.push(result);
    if (result.status !== 409 && result.status < 500) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return attempts;
}

const powerOff = (id: string): Record<string, unknown> => ({
  specversion: '1.0',
  id,
  source: 'https://vcenter.local/sdk',
  type: 'com.vmware.vsphere.VmPoweredOffEvent.v0',
  data: JSON.parse(readFixtureText('kn-ps-slack__test-payload.json')) as unknown,
});

describe('exactly one Slack message per event', () => {
  it('three concurrent deliveries of one event to two instances sharing Redis post once', async () => {
    const a = await startInstance();
    const b = await startInstance();
    const event = powerOff(`dup-${Date.now()}`);
    const results = await Promise.all([
      deliverWithRetries(a, event),
      deliverWithRetries(b, event),
      deliverWithRetries(a, event),
    ]);

    expect(receiver.posts).toHaveLength(1);
    const finals = results.map((attempts) => attempts.at(-1)!);
    for (const final of finals) expect(final.status).toBe(200);
    // One delivery posted; the others were told it was a duplicate (after a 409 if they overlapped).
    expect(finals.filter((f) => (f.body as { posted?: boolean }).posted === true)).toHaveLength(1);
    expect(
      finals.filter((f) => typeof (f.body as { skipped?: unknown }).skipped === 'string'),
    ).toHaveLength(2);
    for (const attempt of results.flat()) expect([200, 409]).toContain(attempt.status);

    // A redelivery later (VEBA's replay after a restart) is still a duplicate, on either instance.
    expect((await deliver(b, event)).status).toBe(200);
    expect(receiver.posts).toHaveLength(1);
  });

  it("a failed post is not remembered: the broker's retry posts", async () => {
    const fn = await startInstance();
    const event = powerOff(`retry-${Date.now()}`);
    receiver.script({ status: 500, body: 'rollup_error' });
    expect((await deliver(fn, event)).status).toBe(503);
    const retried = await deliver(fn, event);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ posted: true });
    expect(receiver.posts).toHaveLength(2);
    const metrics = await (await fetch(new URL('/metrics', fn.url))).text();
    expect(metrics).toContain('veba_slack_webhook_requests_total{result="unavailable"} 1');
    expect(metrics).toContain('veba_slack_webhook_requests_total{result="ok"} 1');
  });
});

describe('Slack answers become broker statuses', () => {
  it.each([
    [{ status: 404, body: 'channel_not_found' }, 502],
    [{ status: 410, body: 'channel_is_archived' }, 502],
    [{ status: 403, body: 'action_prohibited' }, 502],
    [{ status: 404, body: 'no_service' }, 502],
    [{ status: 400, body: 'invalid_payload' }, 500],
    [{ status: 503, body: 'service_unavailable' }, 503],
  ])('%j -> %i', async (answer, expected) => {
    const fn = await startInstance();
    receiver.script(answer);
    const result = await deliver(fn, powerOff(`status-${answer.body}-${Date.now()}`));
    expect(result.status).toBe(expected);
    if (expected === 502) {
      expect(
        logLines.some(
          (line) =>
            line.includes('"level":"error"') && line.includes(`"slackCode":"${answer.body}"`),
        ),
      ).toBe(true);
    }
  });

  it('429 with a Retry-After past the deadline -> 503 with Retry-After for the broker', async () => {
    const fn = await startInstance();
    receiver.script({ status: 429, body: 'rate_limited', retryAfter: '120' });
    const result = await deliver(fn, powerOff(`ratelimit-${Date.now()}`));
    expect(result.status).toBe(503);
    expect(result.retryAfter).toBe('120');
  });
});

describe('the VEBA sample events over HTTP', () => {
  // Several samples share an id or a Key (copied from one another); a source per sample keeps
  // dedupe from treating them as one event here.
  it('posts every usable sample and answers 400 (never 500) to every malformed one', async () => {
    const fn = await startInstance({ webhook: { minIntervalMs: 0 } });
    let expectedPosts = 0;
    for (const [index, fixture] of FIXTURES.entries()) {
      const attributes = fixture.mode === 'raw' ? { ...fixture.attributes } : fixtureEvent(fixture);
      const event = { ...attributes, source: `https://vc-${index}.example/sdk` };
      const result =
        fixture.mode === 'raw'
          ? await deliver(fn, event, readFixtureText(fixture.file))
          : fixture.mode === 'structured' && !fixture.wrapData
            ? await deliverStructured(fn, event)
            : await deliver(fn, event);
      if (fixture.expected.outcome === 'posted') {
        expectedPosts += 1;
        expect({ file: fixture.file, status: result.status }).toEqual({
          file: fixture.file,
          status: 200,
        });
        expect(receiver.posts).toHaveLength(expectedPosts);
        expect((receiver.posts.at(-1)!.body as SlackMessage).text.length).toBeGreaterThan(0);
      } else {
        expect({ file: fixture.file, status: result.status }).toEqual({
          file: fixture.file,
          status: 400,
        });
        expect(result.body).toMatchObject({ error: 'invalid_event' });
        expect(receiver.posts).toHaveLength(expectedPosts);
      }
    }
  });
});

/** Structured mode: the whole CloudEvent as the body (how the Python samples are sent). */
async function deliverStructured(
  fn: RunningFunction,
  event: Record<string, unknown>,
): Promise<Delivery> {
  const response = await fetch(fn.url, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify(event),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body, retryAfter: response.headers.get('retry-after') };
}
