/**
 * The test pieces every notifier function's tests share (`@veba-functions/notifier/testing/function`,
 * for vitest): the corpus samples its Triggers select, a handler context with a notifier, the
 * started function + receiver pair of its HTTP tests, and the checks they all make. Each function's
 * tests call them through its own handler and definition, and keep what is specific to it.
 */
import { expect } from 'vitest';
import {
  InvalidEventError,
  mapError,
  type HandleResult,
  type Logger,
} from '@veba-functions/runtime';
import {
  fixtureEvent,
  handlerContext,
  loadVebaFixtures,
  startRedis,
  triggerTypes,
  type CloudEventInput,
  type HttpReply,
  type RedisServer,
  type TestFunction,
} from '@veba-functions/test-helpers';
import {
  useFunctionHarness,
  type FunctionHarness,
  type TestEnv,
} from '@veba-functions/test-helpers/vitest';
import {
  matchesEventClass,
  parseVSphereEvent,
  type VSphereEvent,
} from '@veba-functions/vsphere-events';
import type { NotifierFunctionOptions, NotifierState } from '../notifier-function.js';
import { createNotifier, type NotifierOptions } from '../notifier.js';

const VSPHERE_TYPE = /^com\.vmware\.vsphere\.(\S+)\.v0$/;

/** The vSphere classes a function's Triggers select, and the corpus samples of those classes. */
export interface TriggeredSamples {
  /** `<class>` of every `type: com.vmware.vsphere.<class>.v0` in values.yaml. */
  classes: string[];
  /** Corpus files (complete CloudEvents 1.0) whose class is one of them. */
  files: string[];
}

/**
 * What the Triggers of a function's values.yaml select from the VEBA corpus.
 *
 * @example
 * const { classes, files } = triggeredSamples(new URL('../values.yaml', import.meta.url));
 */
export function triggeredSamples(valuesYaml: URL): TriggeredSamples {
  const classes = triggerTypes(valuesYaml).flatMap((type) => VSPHERE_TYPE.exec(type)?.[1] ?? []);
  const files = loadVebaFixtures()
    .filter(
      (f) =>
        f.valid &&
        f.attributes?.specversion === '1.0' &&
        matchesEventClass(f.event as never, classes),
    )
    .map((f) => f.file);
  return { classes, files };
}

/**
 * A corpus sample parsed as the vSphere event a handler gets, `data` members replaced by `data`.
 *
 * @example
 * const noVm = vsphereSample('kn-ps-slack__test-payload.json', { Vm: null });
 */
export function vsphereSample(file: string, data?: Record<string, unknown>): VSphereEvent {
  const event = fixtureEvent(file);
  if (data !== undefined) event.data = { ...(event.data as object), ...data };
  return parseVSphereEvent(event);
}

/** The notifier of {@link notifierContext}: everything but the logger (the context's). */
export type NotifierContextOptions<M> = Omit<NotifierOptions<M>, 'logger'>;

/**
 * The context a notifier function's handler gets, its state a notifier built with the context's
 * logger; a paced target paced at 100 messages a second with a burst of 1 unless `rate` says
 * otherwise (an unpaced one, email, stays unpaced).
 *
 * `options` may be a function of the context's logger (for a client that logs, email's).
 *
 * @example
 * const ctx = notifierContext<SlackAlertConfig>({ target: createSlackTarget(), destination });
 * await handle(vsphereSample('kn-ps-slack__test-payload.json'), ctx);
 */
export function notifierContext<C, M = unknown>(
  options: NotifierContextOptions<M> | ((logger: Logger) => NotifierContextOptions<M>),
) {
  const ctx = handlerContext<NotifierState, C>({ state: undefined as never });
  const own = typeof options === 'function' ? options(ctx.logger) : options;
  ctx.state = {
    notifier: createNotifier<M>({
      rate: own.target.rate === undefined ? undefined : { perSecond: 100, burst: 1 },
      ...own,
      logger: ctx.logger,
    }),
  };
  return ctx;
}

/**
 * Expects a handler's outcome for a corpus sample: 200 with `body` and one message sent, or an
 * `InvalidEventError` (400) and nothing sent. True when it was sent.
 *
 * @example
 * await expectSentOrInvalid(handle(event, ctx), {
 *   body: { posted: true, eventClass: event.eventClass },
 *   sent: () => receiver.posts.length,
 * });
 */
export async function expectSentOrInvalid(
  outcome: Promise<HandleResult | void>,
  expected: { body: Record<string, unknown>; sent(): number },
): Promise<boolean> {
  const result = await outcome.catch((e: unknown) => e);
  if (result instanceof Error) {
    expect(result).toBeInstanceOf(InvalidEventError);
    expect(mapError(result).status).toBe(400);
    expect(expected.sent()).toBe(0);
    return false;
  }
  expect(result).toMatchObject({ status: 200, body: expected.body });
  expect(expected.sent()).toBe(1);
  return true;
}

/**
 * Expects a VM event without `Vm` and a host maintenance event without `Host` to be refused
 * naming the field (400), nothing sent.
 */
export async function expectMissingEntitiesRefused(
  notify: (event: VSphereEvent) => Promise<unknown>,
  sent: () => number,
): Promise<void> {
  await expect(
    notify(vsphereSample('kn-ps-slack__test-payload.json', { Vm: null })),
  ).rejects.toThrow(/data\.Vm is missing/);
  await expect(
    notify(vsphereSample('kn-pcli-hostmaint-alarms__enter-maint-payload.json', { Host: null })),
  ).rejects.toThrow(/data\.Host is missing/);
  expect(sent()).toBe(0);
}

/** What a notifier function's HTTP tests run against: a real redis-server and the receiver. */
export interface NotifierPeers<R> {
  redis: RedisServer;
  receiver: R;
}

/** A stand-in the harness starts once and resets after each test. */
export interface ResettableReceiver {
  reset(): void;
  close(): Promise<void>;
}

/** Options of {@link useNotifierHarness}. */
export interface NotifierHarnessOptions<R> {
  /** What must reach no log line or answer of the file (the webhook token, the credentials). */
  secrets(receiver: R): readonly string[];
  /** The function's own variables pointing at the receiver (its secret, as VEBA users write it). */
  env(receiver: R): TestEnv;
}

/** The harness of a notifier function's HTTP tests. */
export interface NotifierHarness<R> extends FunctionHarness<NotifierPeers<R>> {
  readonly redis: RedisServer;
  readonly receiver: R;
  /**
   * Options keeping an instance's Redis keys apart: its dedupe (and ordering) store under
   * `store` (instances given the same `store` share it), its notifier keys its own.
   */
  isolated(store: string): Required<Pick<NotifierFunctionOptions<'keyPrefix'>, 'state'>> & {
    notifier: { keyPrefix: string };
  };
  /**
   * The same event delivered concurrently to each of `fns` (the same function more than once
   * for concurrent redeliveries), each delivery retried like the broker: every attempt answers
   * 200 or 409, every final answer 200. The final answers.
   */
  deliverConcurrently(fns: TestFunction[], event: CloudEventInput): Promise<HttpReply[]>;
}

/**
 * Registers the hooks of a notifier function's HTTP test file: a redis-server and the receiver
 * started once, the functions stopped and the receiver reset after each test, and the receiver's
 * secrets looked for in every log line and answer of the file. Every start gets `REDIS_URL`,
 * `FUNCTION_TIMEOUT_SECONDS=10`, `LOG_LEVEL=debug` and the function's `env` under its own.
 *
 * @example
 * const h = useNotifierHarness(() => startWebhookReceiver('slack'), {
 *   secrets: (receiver) => [receiver.secret],
 *   env: (receiver) => ({ SLACK_SECRET: receiver.url }),
 * });
 * const fn = await h.start(createSlackAlert(h.isolated('slack')));
 */
export function useNotifierHarness<R extends ResettableReceiver>(
  startReceiver: () => Promise<R>,
  options: NotifierHarnessOptions<R>,
): NotifierHarness<R> {
  let instances = 0;
  const harness = useFunctionHarness<NotifierPeers<R>>({
    peers: async () => ({ redis: await startRedis(), receiver: await startReceiver() }),
    reset: ({ receiver }) => receiver.reset(),
    async close({ redis, receiver }) {
      await receiver.close();
      await redis.stop();
    },
    secrets: ({ receiver }) => options.secrets(receiver),
    env: ({ redis, receiver }): TestEnv => ({
      REDIS_URL: redis.url,
      FUNCTION_TIMEOUT_SECONDS: '10',
      LOG_LEVEL: 'debug',
      ...options.env(receiver),
    }),
  });
  return {
    get peers() {
      return harness.peers;
    },
    start: harness.start,
    stop: harness.stop,
    send: harness.send,
    sendWithRetries: harness.sendWithRetries,
    get redis() {
      return harness.peers.redis;
    },
    get receiver() {
      return harness.peers.receiver;
    },
    isolated(store: string) {
      const prefix = harness.peers.redis.keyPrefix;
      return {
        state: { storeOptions: { keyPrefix: `${prefix}${store}:` } },
        notifier: { keyPrefix: `${prefix}notifier:${instances++}:` },
      };
    },
    async deliverConcurrently(fns: TestFunction[], event: CloudEventInput) {
      const results = await Promise.all(fns.map((fn) => harness.sendWithRetries(fn, event)));
      for (const attempt of results.flat()) expect([200, 409]).toContain(attempt.status);
      const finals = results.map((attempts) => attempts.at(-1)!);
      for (const final of finals) expect(final.status).toBe(200);
      return finals;
    },
  };
}

/**
 * Expects every event of a burst to have been carried by exactly one of `messages` posted
 * messages: an answer carrying k events (`events: k`) stands for 1/k of a message, so the sum
 * over the answers counts the messages.
 */
export function expectEveryEventCarriedOnce(replies: HttpReply[], messages: number): void {
  const carried = replies.map((r) => r.json<{ events: number }>().events);
  expect(Math.round(carried.reduce((sum, k) => sum + 1 / k, 0))).toBe(messages);
}

/**
 * The alarm sample (`kn-ps-slack-vsphere-alarm`) on the host of a host-maintenance sample `enter`
 * (same vCenter), with its own `id` and `data` members replaced by `data` (`Key`, `To`).
 */
export function alarmOnHost(
  enter: CloudEventInput,
  id: string,
  data: Record<string, unknown>,
): CloudEventInput {
  const host = (enter.data as { Host: { Name: string; Host: { Value: string } } }).Host;
  const alarm = fixtureEvent('kn-ps-slack-vsphere-alarm__test-payload.json', {
    id,
    source: enter.source,
  });
  alarm.data = {
    ...(alarm.data as object),
    ...data,
    Entity: { Name: host.Name, Entity: { Type: 'HostSystem', Value: host.Host.Value } },
  };
  return alarm;
}
