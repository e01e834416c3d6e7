/**
 * SIGTERM with events still in flight. The runtime lets them finish for FUNCTION_DRAIN_SECONDS,
 * then answers each 503 once its guards released its claim, so the broker's retry, on another
 * replica right away, is processed and not held at 409.
 *
 * - slack-alert as its container runs it (`node functions/slack-alert/dist/main.js`), with
 *   events queued behind its pacer (Slack's 1 message per second) when the signal comes;
 * - every function of the table with an upstream and dedupe, in process, with its upstream
 *   stalled (a webhook, PagerDuty or Standard Webhooks stand-in that never answers, an SMTP
 *   server that never replies after DATA, the `/api` stand-in gone silent).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  sendCloudEvent,
  startTestFunction,
  type HttpReply,
  type TestFunction,
} from '@veba-functions/test-helpers';
import { startApiServer, type ApiServer } from '@veba-functions/vcenter/testing';
import { launchFunction, type ChildFunction } from './support/child-function.js';
import { markerOf, newRun } from './support/events.js';
import { entry, FUNCTIONS } from './support/functions.js';
import { apiPeer, startPeers, type Peers } from './support/peers.js';
import { claimsInProgress } from './support/redis-records.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `count` claims of `source` are in progress in Redis (the events are in their handlers). */
async function inProgress(peers: Peers, source: string, count: number): Promise<void> {
  const end = Date.now() + 10_000;
  while ((await claimsInProgress(peers.redis, encodeURIComponent(source))).length < count) {
    if (Date.now() > end) throw new Error(`fewer than ${count} claims in progress after 10 s`);
    await sleep(20);
  }
}

let api: ApiServer;
let peers: Peers;

beforeAll(async () => {
  api = await startApiServer();
  // Dedicated: the child processes keep their Redis keys under the default prefix.
  peers = await startPeers({ redis: { dedicated: true }, vcenter: apiPeer(api) });
});
afterAll(async () => {
  await peers?.stop();
  await api?.close();
});

describe('slack-alert (node dist/main.js): SIGTERM with events queued behind the pacer', () => {
  const children: ChildFunction[] = [];
  afterAll(async () => {
    await Promise.all(children.map((child) => child.process.stop()));
  });

  it('the queued events answer 503 with their claims released: the retry on the other replica is processed, not a 409; exit 0', async () => {
    const e = entry('slack-alert');
    const run = newRun('drain-slack');
    const slack = peers.receivers.slack;
    const env = { ...e.env(peers), FUNCTION_DRAIN_SECONDS: '0.3', LOG_LEVEL: 'info' };
    // Two replicas sharing Redis (dedupe and the pacing bucket), as Knative scales them.
    const [leaving, staying] = await Promise.all([
      launchFunction('slack-alert', env),
      launchFunction('slack-alert', env),
    ]);
    children.push(leaving, staying);
    const before = slack.posts.length;

    const first = await sendCloudEvent(leaving.url, e.event(run, 0));
    expect(first.status).toBe(200); // posted: the bucket's one token is gone for a second
    const queued = [1, 2, 3, 4, 5].map((n) => e.event(run, n));
    const answers = Promise.all(queued.map((event) => sendCloudEvent(leaving.url, event)));
    await inProgress(peers, run.source, queued.length);
    const exit = leaving.terminate();

    const cutOff: HttpReply[] = await answers;
    expect(cutOff.map((r) => r.status)).toEqual(queued.map(() => 503));
    expect(cutOff.map((r) => r.json<{ error: string }>().error)).toEqual(
      queued.map(() => 'shutting_down'),
    );
    expect(await claimsInProgress(peers.redis, encodeURIComponent(run.source))).toEqual([]);
    const retried = await Promise.all(queued.map((event) => sendCloudEvent(staying.url, event)));
    expect(retried.map((r) => r.status)).toEqual(queued.map(() => 200));
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(leaving.output()).toContain('drain deadline passed with events in flight');

    // Each event reached Slack once: the cut-off ones only through the retry.
    const bodies = slack.posts.slice(before).map((post) => JSON.stringify(post.body));
    for (const event of [e.event(run, 0), ...queued]) {
      expect({
        event: event.id,
        posts: bodies.filter((b) => b.includes(markerOf(event))).length,
      }).toEqual({
        event: event.id,
        posts: 1,
      });
    }
  });
});

describe.each(
  FUNCTIONS.filter((e) => e.dedupe && e.upstream !== 'none').map((e) => [e.name, e] as const),
)('%s: stopped while its upstream does not answer', (name, e) => {
  let leaving: TestFunction;
  let staying: TestFunction;
  const run = newRun(`drain-${name}`);

  beforeAll(async () => {
    const env = { ...e.env(peers), FUNCTION_DRAIN_SECONDS: '0.3', FUNCTION_TIMEOUT_SECONDS: '20' };
    [leaving, staying] = await Promise.all([
      startTestFunction(e.create({ keyPrefix: run.id, unpaced: true }), { env }),
      startTestFunction(e.create({ keyPrefix: run.id, unpaced: true }), { env }),
    ]);
  });
  afterAll(async () => {
    api.release();
    await Promise.all([leaving?.stop(), staying?.stop()]);
  });

  it('in-flight events answer 503 at the drain deadline, claims released; the retry elsewhere is processed', async () => {
    const events = [1, 2, 3].map((n) => e.event(run, n));
    // Stalled: the events' call reached the upstream, which holds it unanswered.
    const hold = peers.hold(e.upstream, e.concurrentCalls ? events.length : 1);
    const answers = Promise.all(events.map((event) => sendCloudEvent(leaving.url, event)));
    await inProgress(peers, run.source, events.length);
    while (!hold.reached()) await sleep(10);
    const stopped = leaving.stop();

    expect((await answers).map((r) => r.status)).toEqual(events.map(() => 503));
    expect(await claimsInProgress(peers.redis, encodeURIComponent(run.source))).toEqual([]);
    hold.release();
    const retried = await Promise.all(events.map((event) => sendCloudEvent(staying.url, event)));
    expect(retried.map((r) => `${r.status} ${r.body}`)).toEqual(
      retried.map((r) => `200 ${r.body}`),
    );
    await stopped;
    const effects = await e.effects!(peers, events);
    expect(effects.every((n) => n >= 1)).toBe(true);
  });
});
