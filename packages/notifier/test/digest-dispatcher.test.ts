/**
 * Storm digests and pacing for one destination, against a local Slack receiver (and, where a
 * test must hold a send in flight, a client under the test's control).
 */
import { DependencyUnavailableError, EventCutOffError, mapError } from '@veba-functions/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDestination } from '../src/destination.js';
import { createDigestDispatcher, type Delivery } from '../src/digest-dispatcher.js';
import { RateLimitedError } from '../src/errors.js';
import { buildNotification, type Notification } from '../src/model.js';
import { createMemoryRateLimiter } from '../src/rate-limiter.js';
import type { SlackMessage } from '../src/slack/slack-message.js';
import { createSlackTarget } from '../src/slack/slack-target.js';
import {
  createTargetClient,
  type NotifierLogger,
  type TargetClient,
} from '../src/target-client.js';
import { startWebhookReceiver, type WebhookReceiver } from '../src/testing/webhook-receiver.js';
import { corpusEvent } from './corpus.js';

const quiet: NotifierLogger = { debug() {}, info() {}, warn() {}, error() {} };
const target = createSlackTarget();
let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function notification(i: number): Notification {
  return buildNotification(
    corpusEvent('kn-ps-slack__test-payload.json', {
      Key: 1000 + i,
      Vm: { Name: `vm-name-${i}`, Vm: { Type: 'VirtualMachine', Value: `vm-${i}` } },
    }),
  );
}

async function slackDispatcher(perSecond = 4, options: { digest?: boolean } = {}) {
  receiver = await startWebhookReceiver('slack');
  const destination = parseDestination(receiver.url, { key: 'SLACK_WEBHOOK_URL', from: 'test' });
  const client = createTargetClient({ target, destination, logger: quiet, timeoutMs: 2000 });
  const dispatcher = createDigestDispatcher({
    target,
    client,
    limiter: createMemoryRateLimiter({ perSecond, burst: 1 }),
    logger: quiet,
    ...options,
  });
  return { dispatcher, receiver };
}

const soon = (ms = 20_000) => Date.now() + ms;
/** Lets the dispatcher take what is queued (arrivals in one tick fold into one message). */
const tick = () => new Promise((resolve) => setImmediate(resolve));
const texts = (r: WebhookReceiver) => r.posts.map((p) => (p.body as SlackMessage).text);

describe('digests', () => {
  it('a lone event goes out at once, alone', async () => {
    const { dispatcher, receiver: r } = await slackDispatcher();
    expect(await dispatcher.deliver(notification(1), { deadline: soon() })).toEqual({
      digest: false,
      events: 1,
    });
    expect(texts(r)).toEqual([expect.stringMatching(/^:red_circle: VM powered off: /)]);
  });

  it('a burst: the first alone, every event waiting for the next slot folded into one digest; each resolves only after its message was accepted', async () => {
    const { dispatcher, receiver: r } = await slackDispatcher(4);
    const postsWhenResolved: number[] = [];
    const deliver = (i: number) =>
      dispatcher.deliver(notification(i), { deadline: soon() }).then((d: Delivery) => {
        postsWhenResolved.push(r.posts.length);
        return d;
      });
    const lone = deliver(0);
    await tick();
    const deliveries = await Promise.all([
      lone,
      ...Array.from({ length: 39 }, (_, i) => deliver(i + 1)),
    ]);
    expect(r.posts).toHaveLength(2);
    expect(deliveries[0]).toEqual({ digest: false, events: 1 });
    for (const d of deliveries.slice(1)) expect(d).toEqual({ digest: true, events: 39 });
    expect(texts(r)[1]).toMatch(/^:bell: 39 vSphere events from vcenter\.local: 39 VM events/);
    const digestText = JSON.stringify(r.posts[1]!.body);
    expect(digestText).toContain('vm-name-1');
    expect(digestText).toContain('and 24 more');
    // Nothing resolved before the message carrying it had arrived at the receiver.
    expect(postsWhenResolved[0]).toBeGreaterThanOrEqual(1);
    expect(Math.min(...postsWhenResolved.slice(1))).toBe(2);
  });

  it('without digests each event is sent alone, paced', async () => {
    const { dispatcher, receiver: r } = await slackDispatcher(20, { digest: false });
    await Promise.all(
      [1, 2, 3].map((i) => dispatcher.deliver(notification(i), { deadline: soon() })),
    );
    expect(r.posts).toHaveLength(3);
    for (let i = 1; i < 3; i++)
      expect(r.posts[i]!.at - r.posts[i - 1]!.at).toBeGreaterThanOrEqual(40);
  });

  it('a digest the target refuses fails every event in it (nothing answers 2xx), and the next one posts', async () => {
    const { dispatcher, receiver: r } = await slackDispatcher(4);
    r.script({ status: 200, body: 'ok' }, { status: 503, body: 'service_unavailable' });
    const lone = dispatcher.deliver(notification(0), { deadline: soon() });
    await tick();
    const results = await Promise.allSettled([
      lone,
      ...Array.from({ length: 4 }, (_, i) =>
        dispatcher.deliver(notification(i + 1), { deadline: soon() }),
      ),
    ]);
    expect(results[0].status).toBe('fulfilled');
    for (const result of results.slice(1)) {
      expect(result.status).toBe('rejected');
      expect(mapError((result as PromiseRejectedResult).reason).status).toBe(503);
    }
    expect(await dispatcher.deliver(notification(9), { deadline: soon() })).toEqual({
      digest: false,
      events: 1,
    });
  });

  it('429 with Retry-After inside the deadlines: every waiting event is sent after it, once', async () => {
    const { dispatcher, receiver: r } = await slackDispatcher(10);
    r.script({ status: 429, body: 'rate_limited', retryAfter: '0.5' });
    const deliveries = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        dispatcher.deliver(notification(i), { deadline: soon() }),
      ),
    );
    // All three went out together in the retried message.
    expect(deliveries).toEqual(Array.from({ length: 3 }, () => ({ digest: true, events: 3 })));
    expect(r.posts).toHaveLength(2);
    expect(r.posts[1]!.at - r.posts[0]!.at).toBeGreaterThanOrEqual(450);
  });

  it('429 with Retry-After past the deadline: 503 with Retry-After for the broker, no second request', async () => {
    const { dispatcher, receiver: r } = await slackDispatcher(10);
    r.script({ status: 429, body: 'rate_limited', retryAfter: '120' });
    const error = await dispatcher
      .deliver(notification(1), { deadline: soon(5000) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterSeconds).toBe(120);
    // The hold keeps the next event from hammering Slack: refused at once.
    const next = await dispatcher
      .deliver(notification(2), { deadline: soon(5000) })
      .catch((e: unknown) => e);
    expect(next).toBeInstanceOf(DependencyUnavailableError);
    expect((next as DependencyUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(100);
    expect(r.posts).toHaveLength(1);
  });

  it('an event whose turn would come after its deadline is refused at once (503), without a send', async () => {
    const { dispatcher, receiver: r } = await slackDispatcher(0.2);
    await dispatcher.deliver(notification(1), { deadline: soon() });
    const error = await dispatcher
      .deliver(notification(2), { deadline: soon(1500) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(3);
    expect(r.posts).toHaveLength(1);
  });
});

/** A client whose sends the test completes. */
function heldClient() {
  const sends: Array<{ message: SlackMessage; release(): void; fail(error: Error): void }> = [];
  const client: TargetClient<SlackMessage> = {
    post: (message) =>
      new Promise<void>((resolve, reject) => {
        sends.push({ message, release: resolve, fail: reject });
      }),
  };
  return { client, sends };
}

/** A dispatcher (50 messages a second) over a {@link heldClient}. */
function heldDispatcher() {
  const { client, sends } = heldClient();
  const dispatcher = createDigestDispatcher({
    target,
    client,
    limiter: createMemoryRateLimiter({ perSecond: 50, burst: 1 }),
    logger: quiet,
  });
  return { dispatcher, sends };
}

describe('aborts and shutdown', () => {
  it('an event aborted while waiting leaves the queue with the abort reason and is not posted', async () => {
    const { dispatcher, sends } = heldDispatcher();
    const first = dispatcher.deliver(notification(1), { deadline: soon() });
    await tick();
    const controller = new AbortController();
    const aborted = dispatcher.deliver(notification(2), {
      deadline: soon(),
      signal: controller.signal,
    });
    const kept = dispatcher.deliver(notification(3), { deadline: soon() });
    expect(dispatcher.waiting).toBe(2);
    controller.abort(new EventCutOffError());
    await expect(aborted).rejects.toBeInstanceOf(EventCutOffError);
    expect(dispatcher.waiting).toBe(1);
    sends[0]!.release();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sends).toHaveLength(2);
    expect(JSON.stringify(sends[1]!.message)).toContain('vm-name-3');
    expect(JSON.stringify(sends[1]!.message)).not.toContain('vm-name-2');
    sends[1]!.release();
    expect(await kept).toEqual({ digest: false, events: 1 });
  });

  it('an event whose content is already being posted keeps the outcome of that post when aborted (no 503 for posted content)', async () => {
    const { dispatcher, sends } = heldDispatcher();
    const controller = new AbortController();
    const sending = dispatcher.deliver(notification(1), {
      deadline: soon(),
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sends).toHaveLength(1);
    controller.abort(new EventCutOffError());
    sends[0]!.release();
    expect(await sending).toEqual({ digest: false, events: 1 });
  });

  it('close() refuses every waiting event with 503 and every later one', async () => {
    const { dispatcher, sends } = heldDispatcher();
    const first = dispatcher.deliver(notification(1), { deadline: soon() });
    await tick();
    const waiting = dispatcher.deliver(notification(2), { deadline: soon() });
    dispatcher.close();
    await expect(waiting).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(dispatcher.deliver(notification(3), { deadline: soon() })).rejects.toThrow(
      /shutting down/,
    );
    sends[0]!.release();
    await first;
  });
});
