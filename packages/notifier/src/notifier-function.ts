/**
 * The lifecycle every notifier function shares: in `init`, its own target from the loaded config,
 * the notifier Redis, the notifier and one ready line; in `shutdown`, the notifier and Redis
 * closed. A function's `index.ts` says only what is specific to it (its target and keys).
 */
import {
  defineFunction,
  type Config,
  type HandleResult,
  type HandlerContext,
  type InitContext,
  type Logger,
} from '@veba-functions/runtime';
import {
  createStateGuards,
  type RedisConfig,
  type StateGuardsOptions,
} from '@veba-functions/state';
import { vsphereEventParser, type VSphereEvent } from '@veba-functions/vsphere-events';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { notifierConfigShape } from './config.js';
import type { Destination } from './destination.js';
import { createNotifier, type Notifier, type NotifierOptions } from './notifier.js';
import { connectNotifierRedis, disconnectNotifierRedis } from './redis-connection.js';
import type { NotificationTarget } from './target.js';
import type { TargetClient } from './target-client.js';
import {
  resolveWebhookSettings,
  type WebhookKeys,
  type WebhookSettings,
} from './webhook-settings.js';

/** The keys of `notifierConfigShape` the lifecycle reads (a function's config has them). */
export type NotifierFunctionConfig = RedisConfig & {
  NOTIFY_SUPPRESS_IN_MAINTENANCE: boolean;
  NOTIFY_MAINTENANCE_TTL_SECONDS: number;
};

/** What `init` builds once and every event of a notifier function shares. */
export interface NotifierState {
  notifier: Pick<Notifier, 'notify'>;
}

/** The notifier options tests and benchmarks may override (production uses the defaults). */
export type NotifierOverrides = Pick<
  NotifierOptions<unknown>,
  'rate' | 'digest' | 'minSendWindowMs' | 'maxRateLimitRetries' | 'keyPrefix'
>;

/**
 * Options of a notifier function's `createX` (tests and benchmarks; production uses the
 * defaults). `K` narrows the notifier overrides a function accepts.
 */
export interface NotifierFunctionOptions<
  K extends keyof NotifierOverrides = keyof NotifierOverrides,
> {
  /** Dedupe (and ordering) store options (default: Redis from `REDIS_URL`, else in memory). */
  state?: Pick<StateGuardsOptions<VSphereEvent>, 'store' | 'storeOptions'>;
  /** Notifier overrides: pacing rate, digests, send window, 429 retries, Redis key prefix. */
  notifier?: Pick<NotifierOverrides, K>;
}

/** A function's own part of its notifier, built from its loaded config. */
export interface NotifierTargetSetup<M> {
  target: NotifierOptions<M>['target'];
  /** Where an HTTP target posts (its pacing bucket); not with `client`. */
  destination?: Destination;
  /** Sends instead of the HTTP client policy (email's SMTP client). */
  client?: TargetClient<M>;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
  /** Options the function sets itself (PagerDuty: sequencing, no 429 waits). */
  fixed?: Pick<NotifierOptions<M>, 'maxRateLimitRetries' | 'sequenceBy'>;
  /** What the ready line says about the target (masked: never a secret). */
  ready: Record<string, unknown>;
}

/** What `setup` gets besides the config. */
export interface NotifierSetupContext {
  logger: Logger;
  metrics: Registry;
}

/** Options of {@link createNotifierLifecycle}. */
export interface NotifierLifecycleOptions<C extends NotifierFunctionConfig, M> {
  /** The function's name, in its ready line. */
  name: string;
  /**
   * The function's target from its config. Runs first in `init`, before Redis is reached, so a
   * configuration error is reported as such (`ConfigError`).
   */
  setup: (config: C, ctx: NotifierSetupContext) => NotifierTargetSetup<M>;
  /** From the function's options (tests and benchmarks). */
  overrides?: Partial<NotifierOverrides> | undefined;
}

/** The `init` and `shutdown` of a notifier function's definition. */
export interface NotifierLifecycle<C> {
  init: (ctx: InitContext<C>) => Promise<NotifierState>;
  shutdown: () => Promise<void>;
}

/**
 * Creates the `init` / `shutdown` pair of one notifier function instance (call it once per
 * `createX()`: it holds that instance's Redis and notifier).
 *
 * @example
 * const lifecycle = createNotifierLifecycle({
 *   name: 'slack-alert',
 *   setup(c) {
 *     const settings = resolveWebhookSettings(SLACK_KEYS, c);
 *     return {
 *       target: createSlackTarget({ pretext: settings.pretext }),
 *       destination: settings.destination,
 *       timeoutMs: c.SLACK_TIMEOUT_MS,
 *       ready: { webhook: settings.destination.masked },
 *     };
 *   },
 *   overrides: options.notifier,
 * });
 * return defineFunction({ ..., init: lifecycle.init, handle, shutdown: lifecycle.shutdown });
 */
export function createNotifierLifecycle<C extends NotifierFunctionConfig, M>(
  options: NotifierLifecycleOptions<C, M>,
): NotifierLifecycle<C> {
  let redis: Awaited<ReturnType<typeof connectNotifierRedis>>;
  let notifier: Notifier | undefined;
  return {
    async init({ config: c, logger, metrics }) {
      const own = options.setup(c, { logger, metrics });
      redis = await connectNotifierRedis(c, logger);
      try {
        notifier = createNotifier<M>({
          target: own.target,
          ...(own.destination !== undefined ? { destination: own.destination } : {}),
          ...(own.client !== undefined ? { client: own.client } : {}),
          logger,
          metrics,
          ...(own.timeoutMs !== undefined ? { timeoutMs: own.timeoutMs } : {}),
          redis,
          suppressInMaintenance: c.NOTIFY_SUPPRESS_IN_MAINTENANCE,
          maintenanceTtlSeconds: c.NOTIFY_MAINTENANCE_TTL_SECONDS,
          ...own.fixed,
          ...options.overrides,
        });
      } catch (error) {
        // init failed: nothing will call shutdown, so the connection is closed here.
        await disconnectNotifierRedis(redis);
        throw error;
      }
      // An unpaced target (email) has no pacing worth a field.
      const paced = (options.overrides?.rate ?? own.target.rate) !== undefined;
      logger.info(
        {
          ...own.ready,
          ...(paced ? { pacing: notifier.pacing } : {}),
          maintenance: notifier.maintenance,
        },
        `${options.name} ready`,
      );
      return { notifier };
    },
    async shutdown() {
      notifier?.close();
      await disconnectNotifierRedis(redis);
    },
  };
}

/** A notifier function: its keys, its target from them, its handler (see {@link defineNotifierFunction}). */
export interface NotifierFunctionDefinition<Shape extends z.ZodRawShape, M> {
  /** Also the dedupe namespace, the metrics label and the ready line's name. */
  name: string;
  config: Shape;
  secretVariables: string[];
  sensitiveKeys: string[];
  /**
   * Ordering on: an event older (by `Key`) than one already handled in its scope is skipped as
   * stale (PagerDuty: a late trigger must not reopen a resolved incident). Default off: each
   * message stands alone with its own vCenter time, and a late alarm dropped as stale would hide it.
   */
  orderBy?: (event: VSphereEvent) => string | undefined;
  /** The function's target from its loaded config (see {@link createNotifierLifecycle}). */
  setup: (config: Config<Shape>, ctx: NotifierSetupContext) => NotifierTargetSetup<M>;
  handle: (
    event: VSphereEvent,
    ctx: HandlerContext<NotifierState, Config<Shape>>,
  ) => Promise<HandleResult>;
}

/**
 * The definition of a notifier function: every vSphere event its Triggers select (the Triggers
 * are the filter, values.yaml), dedupe on (a message cannot be unsent, and no target has an
 * idempotency key), ordering as `orderBy` says, and the shared lifecycle around its `setup`.
 * A fresh instance per call; nothing starts before `init`.
 *
 * @example
 * export function createSlackAlert(options: NotifierFunctionOptions = {}) {
 *   return defineNotifierFunction(
 *     { name: 'slack-alert', config, secretVariables, sensitiveKeys, setup, handle },
 *     options,
 *   );
 * }
 */
export function defineNotifierFunction<Shape extends z.ZodRawShape & typeof notifierConfigShape, M>(
  definition: NotifierFunctionDefinition<Shape, M>,
  options: NotifierFunctionOptions = {},
) {
  const lifecycle = createNotifierLifecycle<Config<Shape> & NotifierFunctionConfig, M>({
    name: definition.name,
    setup: definition.setup,
    overrides: options.notifier,
  });
  const { orderBy } = definition;
  return defineFunction({
    name: definition.name,
    config: definition.config,
    secretVariables: definition.secretVariables,
    sensitiveKeys: definition.sensitiveKeys,
    parse: vsphereEventParser(),
    guards: createStateGuards<VSphereEvent>({
      dedupe: true,
      ...(orderBy !== undefined ? { ordering: { policy: 'skip', scope: orderBy } } : {}),
      ...options.state,
    }),
    init: lifecycle.init,
    handle: definition.handle,
    shutdown: lifecycle.shutdown,
  });
}

/** Where a webhook alert's keys are: its URL, pretext and secret, and its POST timeout (ms). */
export type WebhookAlertKeys = WebhookKeys & { timeout: string };

/**
 * The `setup` of a webhook alert (Slack, Teams, Google Chat): the URL and pretext from its keys
 * (`resolveWebhookSettings`: plain variables, a JSON secret or a raw-URL secret), its target from
 * them, the POST timeout from `keys.timeout`; the ready line names the masked URL (and whether a
 * pretext is set, for a target that has one).
 *
 * @example
 * setup: webhookAlertSetup(SLACK_KEYS, ({ pretext }) => createSlackTarget({ pretext })),
 */
export function webhookAlertSetup<M>(
  keys: WebhookAlertKeys,
  createTarget: (settings: WebhookSettings) => NotificationTarget<M>,
): (config: Readonly<Record<string, unknown>>) => NotifierTargetSetup<M> {
  return (config) => {
    const settings = resolveWebhookSettings(keys, config);
    const timeoutMs = config[keys.timeout];
    const webhook = settings.destination.masked;
    return {
      target: createTarget(settings),
      destination: settings.destination,
      ...(typeof timeoutMs === 'number' ? { timeoutMs } : {}),
      ready:
        keys.pretext === undefined
          ? { webhook }
          : { webhook, pretext: settings.pretext !== undefined },
    };
  };
}
