/**
 * vCenter stops answering in the middle of a burst, for every function that talks to vCenter:
 * vcsim frozen (SIGSTOP: connections open, nothing answered) and thawed; and the `/api` stand-in
 * answering 503, then nothing at all, then answering again. Events caught in it answer 503 (at
 * their 1 s deadline when nothing answers), never hold a claim, and after the recovery the
 * broker's first retry is processed (within that same 1 s deadline, so the call sent into the
 * silence was not waited for) and every VM ends up tagged.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  sendCloudEvent,
  startTestFunction,
  type CloudEventInput,
  type TestFunction,
} from '@veba-functions/test-helpers';
import { startApiServer, type ApiServer } from '@veba-functions/vcenter/testing';
import { deliver, retried } from './support/broker.js';
import { newRun, type Run } from './support/events.js';
import { FUNCTIONS, type FunctionEntry } from './support/functions.js';
import { apiPeer, startPeers, type Peers } from './support/peers.js';
import { claimsInProgress } from './support/redis-records.js';
import { promised } from './support/statuses.js';

const VCENTER = FUNCTIONS.filter((e) => e.upstream === 'vcenter');
const EVENTS_PER_FUNCTION = 12;
/** Short deadlines, and a request timeout far past them: a call nobody abandons would show. */
const FAST = { FUNCTION_TIMEOUT_SECONDS: '1', VCENTER_REQUEST_TIMEOUT_SECONDS: '30' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Started {
  e: FunctionEntry;
  fn: TestFunction;
}

async function startAll(peers: Peers, run: Run): Promise<Started[]> {
  return Promise.all(
    VCENTER.map(async (e) => ({
      e,
      fn: await startTestFunction(e.create({ keyPrefix: run.id, unpaced: true }), {
        env: { ...e.env(peers), ...FAST },
      }),
    })),
  );
}

/**
 * One burst per function, interleaved and 10 ms apart; `fault(answered)` is called after each
 * answer (it switches the vCenter's behaviour at the right moments). Then the recovery: the first
 * retried event of each function is timed from `recover()`, and the broker delivers the rest.
 */
async function burstThrough(
  started: Started[],
  run: Run,
  fault: (answered: number, total: number) => Promise<void> | void,
  recover: () => Promise<void> | void,
  peers: Peers,
): Promise<{ statuses: number[]; recoveryMs: number[] }> {
  // A steady state first: sessions open, tags resolved or created.
  for (const { e, fn } of started) {
    const reply = await sendCloudEvent(fn.url, e.event(run, 999));
    expect(reply.status, `${e.name}: ${reply.body}`).toBe(200);
  }
  const work = Array.from({ length: EVENTS_PER_FUNCTION }, (_, i) =>
    started.map(({ e, fn }) => ({ e, fn, event: e.event(run, i) })),
  ).flat();
  let answered = 0;
  const statuses = await Promise.all(
    work.map(async ({ fn, event }, i) => {
      await sleep(i * 10);
      const reply = await sendCloudEvent(fn.url, event);
      answered += 1;
      await fault(answered, work.length);
      return reply.status;
    }),
  );
  await recover();
  const recoveredAt = performance.now();
  const recoveryMs: number[] = [];
  const firstRetries = await Promise.all(
    started.map(async ({ fn }) => {
      const pending = work.find((w, i) => w.fn === fn && retried(statuses[i]!));
      if (pending === undefined) return undefined;
      const reply = await sendCloudEvent(fn.url, pending.event);
      recoveryMs.push(performance.now() - recoveredAt);
      return reply.status;
    }),
  );
  expect(firstRetries.filter((s) => s !== undefined && s !== 200)).toEqual([]);
  const deliveries = await Promise.all(
    work.filter((_, i) => retried(statuses[i]!)).map((w) => deliver(w.fn.url, w.event)),
  );
  expect(deliveries.filter((d) => d.final?.status !== 200).map((d) => d.statuses)).toEqual([]);

  for (const { e } of started) {
    const events: CloudEventInput[] = work.filter((w) => w.e === e).map((w) => w.event);
    const effects = await e.effects!(peers, events);
    expect({ function: e.name, untagged: effects.filter((n) => n !== 1).length }).toEqual({
      function: e.name,
      untagged: 0,
    });
  }
  expect(await claimsInProgress(peers.redis, encodeURIComponent(run.source))).toEqual([]);
  return { statuses, recoveryMs };
}

describe('vcsim frozen mid-burst, then thawed', () => {
  let peers: Peers;
  let started: Started[] = [];
  const run = newRun('freeze');

  beforeAll(async () => {
    peers = await startPeers();
    started = await startAll(peers, run);
  });
  afterAll(async () => {
    peers?.vcsim?.thaw();
    await Promise.all(started.map(({ fn }) => fn.stop()));
    await peers?.stop();
  });

  it('503 while frozen, the first retry after the thaw processed, every VM tagged, no claim in progress', async () => {
    const vcsim = peers.vcsim!;
    let frozen = false;
    const { statuses, recoveryMs } = await burstThrough(
      started,
      run,
      (answered, total) => {
        if (!frozen && answered >= total / 3) {
          frozen = true;
          vcsim.freeze();
        }
      },
      () => vcsim.thaw(),
      peers,
    );
    expect(statuses.filter((s) => !promised(s))).toEqual([]);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    console.log(
      `vcsim freeze: ${statuses.filter((s) => s === 503).length}/${statuses.length} answered 503; first retry after the thaw answered in ${recoveryMs.map((ms) => ms.toFixed(0)).join(', ')} ms`,
    );
  });
});

describe('the /api stand-in answering 503, then nothing, then again', () => {
  let api: ApiServer;
  let peers: Peers;
  let started: Started[] = [];
  const run = newRun('api-outage');

  beforeAll(async () => {
    api = await startApiServer();
    peers = await startPeers({ vcenter: apiPeer(api) });
    started = await startAll(peers, run);
  });
  afterAll(async () => {
    await Promise.all(started.map(({ fn }) => fn.stop()));
    await peers?.stop();
    await api?.close();
  });

  it('503s, then 503 at the deadline, then the first retry processed; every VM tagged, no claim in progress', async () => {
    const TAGGING = '/api/cis/tagging/tag-association';
    let phase: 'up' | 'refusing' | 'silent' = 'up';
    const { statuses, recoveryMs } = await burstThrough(
      started,
      run,
      (answered, total) => {
        if (phase === 'up' && answered >= total / 3) {
          phase = 'refusing';
          api.failNext(TAGGING, 503, 'SERVICE_UNAVAILABLE', 1_000_000);
        } else if (phase === 'refusing' && answered >= (2 * total) / 3) {
          phase = 'silent';
          api.hang(TAGGING);
        }
      },
      () => {
        api.release();
        api.clearFailures();
      },
      peers,
    );
    expect(statuses.filter((s) => !promised(s))).toEqual([]);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(api.held()).toBeGreaterThan(0);
    console.log(
      `/api 503 then silence: ${statuses.filter((s) => s === 503).length}/${statuses.length} answered 503, ${api.held()} calls never answered; first retry after recovery answered in ${recoveryMs.map((ms) => ms.toFixed(0)).join(', ')} ms`,
    );
  });
});
