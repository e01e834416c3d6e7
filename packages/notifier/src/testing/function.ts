/**
 * The test pieces every notifier function's tests share (`@veba-functions/notifier/testing/function`,
 * for vitest): the corpus samples its Triggers select, a handler context with a notifier, the
 * started function + receiver pair of its HTTP tests, and the checks they all make. Each function's
 * tests call them through its own handler and definition, and keep what is specific to it.
 */
import { Webhook } from 'standardwebhooks';
import { afterEach, expect, it } from 'vitest';
import {
  DependencyUnavailableError,
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
  expectStartRefused,
  extendHarness,
  useFunctionHarness,
  type FunctionHarness,
  type TestEnv,
} from '@veba-functions/test-helpers/vitest';
import {
  matchesEventClass,
  parseVSphereEvent,
  type VSphereEvent,
} from '@veba-functions/vsphere-events';
import type {
  NotifierFunctionOptions,
  NotifierOverrides,
  NotifierState,
} from '../notifier-function.js';
import { parseDestination } from '../destination.js';
import { createNotifier, type NotifierOptions } from '../notifier.js';
import type { NotificationTarget } from '../target.js';
import type { WebhookKeys } from '../webhook-settings.js';
import type { RecordedRequest } from './http-receiver.js';
import type { PagerDutyReceiver } from './pagerduty-receiver.js';
import { createPagerDutyTarget } from '../pagerduty/pagerduty-target.js';
import {
  startWebhookReceiver,
  type ReceiverKind,
  type WebhookReceiver,
} from './webhook-receiver.js';

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

/** The context {@link useNotifierHandler} gives a test (its config is not read by the handlers). */
export type NotifierHandlerContext = ReturnType<typeof handlerContext<NotifierState, never>>;

/** A notifier function's handler, as the shared checks call it. */
export type NotifierHandle = (
  event: VSphereEvent,
  ctx: NotifierHandlerContext,
) => Promise<HandleResult>;

/** Options of {@link useNotifierHandler}. */
export interface NotifierHandlerOptions<R, A extends unknown[]> {
  /** Starts the stand-in of one test (closed after the test). */
  receiver: () => Promise<R>;
  /** The notifier the handler gets, sending to the test's stand-in; `args` are the test's own. */
  notifier: (receiver: R, logger: Logger, ...args: A) => NotifierContextOptions<unknown>;
  /** How many messages the stand-in got. */
  sent: (receiver: R) => number;
}

/** What {@link useNotifierHandler} gives a handler test file. */
export interface NotifierHandlerTest<R, A extends unknown[]> {
  /** The stand-in of the current test (after `context`). */
  readonly receiver: R;
  /** Starts the test's stand-in and returns a handler context whose notifier sends to it. */
  context: (...args: A) => Promise<NotifierHandlerContext>;
  /** How many messages the test's stand-in got. */
  sent: () => number;
}

/**
 * Registers what a notifier function's handler tests need: a stand-in per test (closed after
 * it) and a handler context whose notifier sends to it.
 *
 * @example
 * const slack = useNotifierHandler({
 *   receiver: () => startWebhookReceiver('slack'),
 *   notifier: (receiver, _logger, pretext?: string) => ({
 *     target: createSlackTarget({ pretext }),
 *     destination: parseDestination(receiver.url, { key: 'SLACK_WEBHOOK_URL', from: 'test' }),
 *   }),
 *   sent: (receiver) => receiver.posts.length,
 * });
 * const ctx = await slack.context(':rotating_light: prod');
 */
export function useNotifierHandler<R extends { close(): Promise<void> }, A extends unknown[] = []>(
  options: NotifierHandlerOptions<R, A>,
): NotifierHandlerTest<R, A> {
  let receiver: R | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });
  const current = (): R => {
    if (receiver === undefined) throw new Error('no stand-in yet: call context() first');
    return receiver;
  };
  return {
    get receiver() {
      return current();
    },
    context: async (...args) => {
      const started = await options.receiver();
      receiver = started;
      return notifierContext<never>((logger) => options.notifier(started, logger, ...args));
    },
    sent: () => options.sent(current()),
  };
}

/**
 * {@link useNotifierHandler} for a webhook alert (Slack, Teams, Google Chat): the stand-in of
 * its kind, and its target (`createTarget`, given the test's pretext) posting to it, the URL under
 * its configuration key `urlKey`.
 *
 * @example
 * const slack = useWebhookAlertHandler('slack', (pretext) => createSlackTarget({ pretext }), 'SLACK_WEBHOOK_URL');
 */
export function useWebhookAlertHandler<M>(
  kind: ReceiverKind,
  createTarget: (pretext?: string) => NotificationTarget<M>,
  urlKey: string,
): NotifierHandlerTest<WebhookReceiver, [pretext?: string]> {
  return useNotifierHandler({
    receiver: () => startWebhookReceiver(kind),
    notifier: (receiver, _logger, pretext?: string) => ({
      target: createTarget(pretext),
      destination: parseDestination(receiver.url, { key: urlKey, from: 'test' }),
    }),
    sent: (receiver) => receiver.posts.length,
  });
}

/**
 * Registers the corpus test of a notifier handler: every sample its Triggers select is sent
 * (200 with `body(event)`, one message) or refused naming the field (400, none); `after` adds the
 * function's own checks.
 *
 * @example
 * itSendsOrRefusesEverySample(files, slack, handle);
 */
export function itSendsOrRefusesEverySample(
  files: readonly string[],
  test: Pick<NotifierHandlerTest<unknown, []>, 'context' | 'sent'>,
  handle: NotifierHandle,
  options: {
    /** The 200 body of a sample sent; default `{ posted: true, eventClass }`. */
    body?: (event: VSphereEvent) => Record<string, unknown>;
    after?: (event: VSphereEvent, sent: boolean) => void;
  } = {},
): void {
  it.each(files)('%s: sent (200) or refused naming the field (400)', async (file) => {
    const ctx = await test.context();
    const event = vsphereSample(file);
    const sent = await expectSentOrInvalid(handle(event, ctx), {
      body: options.body?.(event) ?? { posted: true, eventClass: event.eventClass },
      sent: test.sent,
    });
    options.after?.(event, sent);
  });
}

/** Registers {@link expectMissingEntitiesRefused} as a test of the handler. */
export function itRefusesMissingEntities(
  test: Pick<NotifierHandlerTest<unknown, []>, 'context' | 'sent'>,
  handle: NotifierHandle,
): void {
  it('a VM event without Vm, a host maintenance event without Host: 400 naming the field, nothing sent', async () => {
    const ctx = await test.context();
    await expectMissingEntitiesRefused((event) => handle(event, ctx), test.sent);
  });
}

/**
 * Registers a test that the target's "unavailable" answer (`script` puts it on the stand-in)
 * reaches the runtime as `DependencyUnavailableError` (503: the broker retries), for `file`
 * (default: kn-ps-slack's power-off).
 */
export function itMapsUnavailable<R>(
  test: Pick<NotifierHandlerTest<R, []>, 'context' | 'receiver'>,
  handle: NotifierHandle,
  options: { script: (receiver: R) => void; file?: string },
): void {
  it("the target's unavailable answer is the runtime's DependencyUnavailableError (503)", async () => {
    const ctx = await test.context();
    options.script(test.receiver);
    await expect(
      handle(vsphereSample(options.file ?? 'kn-ps-slack__test-payload.json'), ctx),
    ).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
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
   * `store` (instances given the same `store` share it), its notifier keys its own; `notifier`
   * adds the test's own notifier overrides (pacing).
   */
  isolated(
    store: string,
    notifier?: Omit<NotifierOverrides, 'keyPrefix'>,
  ): Required<Pick<NotifierFunctionOptions<'keyPrefix'>, 'state'>> & {
    notifier: Omit<NotifierOverrides, 'keyPrefix'> & { keyPrefix: string };
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
  return extendHarness(harness, {
    get redis() {
      return harness.peers.redis;
    },
    get receiver() {
      return harness.peers.receiver;
    },
    isolated(store: string, notifier: Omit<NotifierOverrides, 'keyPrefix'> = {}) {
      const prefix = harness.peers.redis.keyPrefix;
      return {
        state: { storeOptions: { keyPrefix: `${prefix}${store}:` } },
        notifier: { ...notifier, keyPrefix: `${prefix}notifier:${instances++}:` },
      };
    },
    async deliverConcurrently(fns: TestFunction[], event: CloudEventInput) {
      const results = await Promise.all(fns.map((fn) => harness.sendWithRetries(fn, event)));
      for (const attempt of results.flat()) expect([200, 409]).toContain(attempt.status);
      const finals = results.map((attempts) => attempts.at(-1)!);
      for (const final of finals) expect(final.status).toBe(200);
      return finals;
    },
  });
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

/**
 * Expects a start with the webhook URL carrying a user name and password (`url` with
 * `svc:hunter2@`) to be refused naming the key and where it came from, never echoing the
 * password. `keys` are the function's own (`SLACK_KEYS`); `start(env)` starts it with `env`.
 */
export async function expectUserInfoUrlRefused(
  start: (env: Record<string, string>) => Promise<unknown>,
  keys: Pick<WebhookKeys, 'url' | 'secret'>,
  url: string,
): Promise<void> {
  await expectStartRefused(
    start({ [keys.secret]: '', [keys.url]: url.replace('http://', 'http://svc:hunter2@') }),
    new RegExp(
      `${keys.url}: invalid \\(from env ${keys.url}\\): the URL contains a user name or password`,
    ),
    'hunter2',
  );
}

/**
 * Verifies a request to the Standard Webhooks stand-in with the reference library
 * (`standardwebhooks`: signature, id and timestamp) under `secret`, and expects its body to be
 * `event` in the structured CloudEvents JSON format. The verified body.
 */
export function expectSignedCloudEvent(
  request: RecordedRequest,
  secret: string,
  event: { id: string; source: string; type: string; data?: unknown },
): Record<string, unknown> {
  const verified = new Webhook(secret).verify(
    request.raw,
    request.headers as Record<string, string>,
  ) as Record<string, unknown>;
  expect(verified).toMatchObject({
    specversion: '1.0',
    id: event.id,
    source: event.source,
    type: event.type,
    data: event.data,
  });
  return verified;
}

/**
 * The PagerDuty target and destination that send to the stand-in (its routing key a further
 * secret of the destination, its events URL not a secret), as pagerduty-alert builds them.
 */
export function pagerDutyTargetOf(receiver: Pick<PagerDutyReceiver, 'url' | 'routingKey'>) {
  return {
    target: createPagerDutyTarget({ routingKey: receiver.routingKey }),
    destination: parseDestination(receiver.url, {
      key: 'PAGERDUTY_EVENTS_URL',
      from: 'test',
      secrets: [receiver.routingKey],
      urlIsSecret: false,
    }),
  };
}
