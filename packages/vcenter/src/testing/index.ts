/**
 * The test pieces of the vCenter client and the functions over it (`@veba-functions/vcenter/testing`,
 * for vitest; it needs the dev dependencies `@veba-functions/test-helpers` and `vitest`): local
 * vCenter stand-ins (the `/api` flavour vcsim lacks, with fault switches, and a server echoing
 * credentials back), a redis-server, vcsim and an admin client of it per test file, the variables
 * that point a function at them, its vCenter request count, the kn-pcli-tag sample for any VM, and
 * a tag target that records what it is asked to do. Nothing here is used by the client itself.
 */
import {
  fixtureEvent,
  sendCloudEvent,
  startRedis,
  startVcsim,
  type CloudEventInput,
  type HttpReply,
  type RedisServer,
  type TestFunction,
  type VcsimServer,
} from '@veba-functions/test-helpers';
import {
  extendHarness,
  useFunctionHarness,
  type FunctionHarness,
  type TestEnv,
} from '@veba-functions/test-helpers/vitest';
import { createVCenterClient, type VCenterClient, type VCenterClientOptions } from '../client.js';
import type { TagAction } from '../tag-associations.js';
import type { AppliedTag, TagRef, TagTarget } from '../tag-target.js';

export { POWERED_ON_TAG, startApiServer, type ApiRequest, type ApiServer } from './api-server.js';
export {
  ECHO_SESSION_ID,
  startCredentialEchoServer,
  type CredentialEchoServer,
  type EchoFailure,
  type EchoFlavour,
} from './credential-echo-server.js';

/**
 * A client of vcsim, trusting its certificate, without keep-alive (a test's own calls: setting
 * up tags, reading what a function did).
 */
export function vcsimClient(
  vcsim: VcsimServer,
  overrides: Partial<VCenterClientOptions> = {},
): VCenterClient {
  return createVCenterClient({
    server: vcsim.url,
    username: vcsim.username,
    password: vcsim.password,
    ca: vcsim.caFile,
    keepAliveIntervalMs: 0,
    ...overrides,
  });
}

/** The peers of a vCenter function's HTTP tests. */
export interface VCenterPeers {
  redis: RedisServer;
  vcsim: VcsimServer;
  /** A client of vcsim for the test's own calls. */
  admin: VCenterClient;
}

/** The harness of a vCenter function's HTTP tests. */
export interface VCenterHarness extends FunctionHarness<VCenterPeers> {
  readonly redis: RedisServer;
  readonly vcsim: VcsimServer;
  readonly admin: VCenterClient;
  /**
   * A function's variables for `vcsim` (default: the file's) and the file's Redis, at log level
   * info, under `overrides` (`undefined` removes one).
   */
  env(overrides?: TestEnv, vcsim?: VcsimServer): TestEnv;
  /**
   * Runs `run` with `sinks` added to vcsim's VEBA source emulator (real vCenter events delivered
   * to them), removed again afterwards whatever happens.
   */
  withSinks<T>(sinks: readonly string[], run: () => Promise<T>): Promise<T>;
}

/**
 * Registers the hooks of a vCenter function's HTTP test file (`useFunctionHarness`): a
 * redis-server, vcsim and an admin client started once, the functions stopped after each test.
 * `h.start(definition, h.env({ ... }))` starts one with exactly the variables given.
 *
 * @example
 * const h = useVCenterHarness();
 * const fn = await h.start(createVmTag(), h.env({ VCENTER_TAG_NAME: 'running' }));
 */
export function useVCenterHarness(): VCenterHarness {
  const harness = useFunctionHarness<VCenterPeers>({
    async peers() {
      const [redis, vcsim] = await Promise.all([startRedis(), startVcsim()]);
      return { redis, vcsim, admin: vcsimClient(vcsim) };
    },
    async close({ redis, vcsim, admin }) {
      await admin.close();
      await Promise.all([redis.stop(), vcsim.stop()]);
    },
  });
  const members: Omit<VCenterHarness, keyof FunctionHarness<VCenterPeers>> = {
    get redis() {
      return harness.peers.redis;
    },
    get vcsim() {
      return harness.peers.vcsim;
    },
    get admin() {
      return harness.peers.admin;
    },
    env(overrides: TestEnv = {}, vcsim: VcsimServer = harness.peers.vcsim): TestEnv {
      return {
        VCENTER_SERVER: vcsim.url,
        VCENTER_USERNAME: vcsim.username,
        VCENTER_PASSWORD: vcsim.password,
        VCENTER_CA_FILE: vcsim.caFile,
        REDIS_URL: harness.peers.redis.url,
        LOG_LEVEL: 'info',
        ...overrides,
      };
    },
    async withSinks(sinks, run) {
      const { source } = harness.peers.vcsim;
      for (const sink of sinks) await source.addSink(sink);
      try {
        return await run();
      } finally {
        for (const sink of sinks) await source.removeSink(sink);
      }
    },
  };
  return extendHarness(harness, members);
}

/** vCenter requests a function has made (`veba_vcenter_requests_total`), of one operation or all. */
export function vcenterRequests(fn: TestFunction, operation?: string): Promise<number> {
  return fn.metric('veba_vcenter_requests_total', operation === undefined ? {} : { operation });
}

/** What {@link burstMeetingACallInFlight} saw. */
export interface Burst {
  answers: HttpReply[];
  /** vCenter requests the function made for the burst. */
  calls: number;
}

/**
 * Sends `events` to `fn` all at once while `vcsim` is frozen, and thaws it as soon as the function
 * holds them all (`veba_function_events_in_flight`): the first vCenter call of the burst is then
 * in flight while every other event arrives, however slowly this machine delivers them. What a
 * burst costs without that help depends on the machine and is measured in bench/, not asserted.
 * The freeze must stay shorter than a group commit's stall time (1 s) to keep its meaning, so
 * keep bursts to tens of events.
 */
export async function burstMeetingACallInFlight(
  fn: TestFunction,
  vcsim: VcsimServer,
  events: readonly CloudEventInput[],
): Promise<Burst> {
  const before = await vcenterRequests(fn);
  vcsim.freeze();
  let answered = 0;
  const answers = Promise.all(
    events.map((event) =>
      sendCloudEvent(fn.url, event).finally(() => {
        answered += 1;
      }),
    ),
  );
  answers.catch(() => undefined); // awaited below; a failure surfaces there
  try {
    // events answered without a vCenter call (skipped, refused) never count as in flight
    while (answered + (await fn.metric('veba_function_events_in_flight')) < events.length)
      await new Promise((resolve) => setTimeout(resolve, 5));
  } finally {
    vcsim.thaw();
  }
  return { answers: await answers, calls: (await vcenterRequests(fn)) - before };
}

/**
 * The kn-pcli-tag sample (a VM event, as its send script posts it) as an event of `type` for the
 * VM `vm` (named `name`), with its own `Key` and id.
 *
 * @example
 * vmEvent('com.vmware.vsphere.VmPoweredOffEvent.v0', 'vm-42', 600_001);
 */
export function vmEvent(type: string, vm: string, key: number, name = vm): CloudEventInput {
  const sample = fixtureEvent('kn-pcli-tag__test-payload.json');
  return {
    ...sample,
    id: String(key),
    type,
    data: {
      ...(sample.data as object),
      Key: key,
      Vm: { Name: name, Vm: { Type: 'VirtualMachine', Value: vm } },
    },
  };
}

/** A tag target that records its applies (see {@link fakeTagTarget}). */
export interface FakeTagTarget {
  target: Pick<TagTarget, 'apply' | 'current'>;
  /** `[action, vm]` of every apply, in order. */
  calls: Array<[TagAction, string]>;
}

/**
 * A tag target for handler tests: `current()` is `tag`; each apply is recorded and answers as
 * the next of `answers` says (an error rejects; otherwise `{ tag, tagExists: true }` and the
 * answer's fields).
 */
export function fakeTagTarget(
  tag: TagRef,
  answers: Array<Error | Partial<AppliedTag> | undefined> = [],
): FakeTagTarget {
  const calls: Array<[TagAction, string]> = [];
  const target: FakeTagTarget['target'] = {
    current: () => tag,
    apply(action, vmId): Promise<AppliedTag> {
      calls.push([action, vmId]);
      const answer = answers.shift();
      if (answer instanceof Error) return Promise.reject(answer);
      return Promise.resolve({ tag, tagExists: true, ...answer });
    },
  };
  return { target, calls };
}
