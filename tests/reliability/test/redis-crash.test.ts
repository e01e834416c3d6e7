/**
 * Redis SIGKILLed in the middle of a burst, then restarted: every function that deduplicates
 * through Redis ends with exactly one side effect per event (counted at the Slack / Teams / Google
 * Chat stand-ins and on vcsim's VMs), including the broker's retries during and after the outage
 * and VEBA's replay of every event after the restart, and no claim is left in progress.
 *
 * The Redis keeps an append-only file with an fsync per write (`appendOnly`), as a production
 * Redis holding dedupe records should: a crash then loses no acknowledged write. (A Redis without
 * persistence forgets every completed event on a crash, and a replay runs them all again: no
 * function can prevent that.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  sendCloudEvent,
  startTestFunction,
  type CloudEventInput,
  type TestFunction,
} from '@veba-functions/test-helpers';
import { deliver, retried } from './support/broker.js';
import { newRun } from './support/events.js';
import { FUNCTIONS } from './support/functions.js';
import { startPeers, type Peers } from './support/peers.js';
import { claimsInProgress } from './support/redis-records.js';
import { promised, StatusHistogram } from './support/statuses.js';

const CRASHABLE = FUNCTIONS.filter((e) => e.dedupe && e.effects !== undefined);
const EVENTS_PER_FUNCTION = 20;

let peers: Peers;
const running = new Map<string, TestFunction>();
const run = newRun('crash');

beforeAll(async () => {
  peers = await startPeers({ redis: { dedicated: true, appendOnly: true } });
  await Promise.all(
    CRASHABLE.map(async (e) => {
      const fn = await startTestFunction(e.create({ keyPrefix: run.id, unpaced: true }), {
        env: { ...e.env(peers), FUNCTION_TIMEOUT_SECONDS: '5' },
      });
      running.set(e.name, fn);
    }),
  );
});

afterAll(async () => {
  await Promise.all([...running.values()].map((fn) => fn.stop()));
  await peers?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How Redis fails, and how it comes back. */
interface Fault {
  name: string;
  fail(): Promise<void> | void;
  recover(): Promise<void> | void;
}

const FAULTS: Fault[] = [
  {
    name: 'SIGKILLed mid-burst and restarted',
    fail: () => peers.redis.pause({ keepData: false }), // a crash
    recover: () => peers.redis.restart(),
  },
  {
    // Connections stay open and commands hang until they time out; at the thaw Redis runs the
    // commands it was sent, claims whose callers answered 503 long ago included.
    name: 'frozen mid-burst (SIGSTOP) and thawed',
    fail: () => peers.redis.freeze(),
    recover: () => peers.redis.thaw(),
  },
];

describe.each(FAULTS.map((f, i) => [f.name, f, i] as const))('Redis %s', (_name, fault, f) => {
  it('exactly one side effect per event, redeliveries after the recovery included; no claim left in progress', async () => {
    // Interleaved, so that the fault lands in the middle of every function's burst.
    const work = Array.from({ length: EVENTS_PER_FUNCTION }, (_, i) =>
      CRASHABLE.map((e) => ({
        e,
        url: running.get(e.name)!.url,
        event: e.event(run, f * 1000 + i),
      })),
    ).flat();
    const histogram = new StatusHistogram();

    // The burst, 10 ms apart; Redis fails once a third of it has been answered.
    let answered = 0;
    const firstTry = work.map(async ({ e, url, event }, i) => {
      await sleep(i * 10);
      const reply = await sendCloudEvent(url, event);
      answered += 1;
      histogram.add(`${e.name} burst`, reply.status);
      return reply.status;
    });
    while (answered < work.length / 3) await sleep(5);
    await fault.fail();
    const killedAfter = answered;
    const burst = await Promise.all(firstTry);
    await fault.recover();

    // The broker retries what was not final; then VEBA replays every event after its restart.
    const deliveries = await Promise.all(
      work
        .filter((_, i) => retried(burst[i]!))
        .map(async (w) => ({ w, d: await deliver(w.url, w.event) })),
    );
    for (const { w, d } of deliveries)
      for (const status of d.statuses) histogram.add(`${w.e.name} retry`, status);
    const replays = await Promise.all(work.map(({ url, event }) => deliver(url, event)));
    for (const [i, r] of replays.entries())
      for (const status of r.statuses) histogram.add(`${work[i]!.e.name} replay`, status);

    console.log(
      `redis ${fault.name}: after ${killedAfter}/${work.length} answers; statuses:\n${histogram.format()}`,
    );
    expect(burst.filter((status) => !promised(status))).toEqual([]);
    const unsettled = deliveries
      .filter(({ d }) => d.final === undefined || d.final.status >= 300)
      .map(({ w, d }) => `${w.e.name} ${d.event.id}: ${d.statuses.join(',')}`);
    expect(unsettled).toEqual([]);
    // A replay may meet a 409 while a completion is still landing; the broker retries it.
    const notDuplicates = replays
      .map((r, i) => ({ id: work[i]!.event.id, statuses: r.statuses, body: r.final?.body }))
      .filter((r) => r.body?.includes('duplicate') !== true);
    expect(notDuplicates).toEqual([]);

    for (const e of CRASHABLE) {
      const events: CloudEventInput[] = work.filter((w) => w.e === e).map((w) => w.event);
      const effects = await e.effects!(peers, events);
      const wrong = effects
        .map((count, i) => ({ id: events[i]!.id, count }))
        .filter((x) => x.count !== 1);
      expect({ function: e.name, wrong }).toEqual({ function: e.name, wrong: [] });
    }
    expect(await claimsInProgress(peers.redis, encodeURIComponent(run.source))).toEqual([]);
  });
});
