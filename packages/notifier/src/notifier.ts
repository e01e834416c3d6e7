/**
 * A notifier: everything a notifier function's handler needs for one destination, built once in
 * `init` — the message model, the target's renderer, the client policy, pacing (Redis or memory),
 * storm digests and maintenance-aware alarms.
 */
import {
  DependencyUnavailableError,
  type HandleResult,
  type SkipResult,
} from '@veba-functions/runtime';
import type { VSphereEvent } from '@veba-functions/vsphere-events';
import type { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { registeredCounter } from '@veba-functions/runtime';
import type { Destination } from './destination.js';
import { createDigestDispatcher, type DigestDispatcher } from './digest-dispatcher.js';
import {
  createMemoryMaintenanceTracker,
  createRedisMaintenanceTracker,
  type MaintenanceTracker,
} from './maintenance.js';
import { buildNotification, type Notification } from './model.js';
import { createMemoryRateLimiter, type RateLimiter } from './rate-limiter.js';
import { createRedisRateLimiter } from './redis-rate-limiter.js';
import { createKeyedSequencer } from './sequencer.js';
import type { MessageRenderer, NotificationTarget } from './target.js';
import { createTargetClient, type NotifierLogger, type TargetClient } from './target-client.js';

/** Options of {@link createNotifier}. */
export interface NotifierOptions<M> {
  /** The target: an HTTP one (Slack, Teams, Google Chat, PagerDuty), or a renderer with `client`. */
  target: NotificationTarget<M> | MessageRenderer<M>;
  /** Sends the messages instead of the HTTP client policy (email's SMTP client). */
  client?: TargetClient<M>;
  /** Where an HTTP target posts, and the id of its shared pacing bucket; not needed with `client`. */
  destination?: Destination;
  logger: NotifierLogger;
  metrics?: Registry;
  /** Per-request timeout in ms. Default 10 000. */
  timeoutMs?: number;
  /** Shared pacing and maintenance marks; in memory when absent. */
  redis?: Redis | Cluster | undefined;
  /** Key prefix in Redis. Default `veba:notifier:`. */
  keyPrefix?: string;
  /** Skip alarms on hosts in maintenance (`NOTIFY_SUPPRESS_IN_MAINTENANCE`). */
  suppressInMaintenance?: boolean;
  /** How long a maintenance mark lasts, seconds. Default 86 400. */
  maintenanceTtlSeconds?: number;
  /** Fold waiting events into digests. Default true. */
  digest?: boolean;
  /** Time left before an event's deadline below which it is not sent. Default 500 ms. */
  minSendWindowMs?: number;
  /** 429 answers waited out per event. Default 3. */
  maxRateLimitRetries?: number;
  /** Overrides the target's documented rate (tests and benchmarks). */
  rate?: { perSecond: number; burst: number };
  /**
   * Events of one conversation (e.g. one PagerDuty dedup key) are sent one at a time in this
   * process, and one older (by `Key`) than one already sent for it is answered
   * `200 { skipped: "stale: ..." }` (see sequencer.ts). Unset: no sequencing.
   */
  sequenceBy?: (notification: Notification) => string | undefined;
}

/** Per-event context (the runtime's `ctx` fits). */
export interface NotifyContext {
  deadline: number;
  signal?: AbortSignal;
  logger: NotifierLogger;
}

/** The 200 body of a posted event (plus the target's and the client's details, if any). */
export interface PostedBody {
  posted: true;
  eventClass: string;
  family: string;
  /** True when the event went out inside a digest. */
  digest: boolean;
  /** How many events the message carried. */
  events: number;
  [detail: string]: unknown;
}

/** A notifier for one destination. */
export interface Notifier {
  readonly target: string;
  readonly destination: string;
  readonly pacing: RateLimiter['kind'];
  readonly maintenance: MaintenanceTracker['kind'] | 'off';
  /**
   * Handles one event: 400 for an unusable one, 200 `{ skipped: 'host in maintenance' }` for a
   * suppressed alarm, else 200 `{ posted: true, ... }` once a message carrying it was accepted.
   */
  notify(event: VSphereEvent, ctx: NotifyContext): Promise<HandleResult>;
  /** Refuses waiting events (503); the Redis client is the caller's to close. */
  close(): void;
}

const ENTERED = 'EnteredMaintenanceModeEvent';
const EXITED = 'ExitMaintenanceModeEvent';

/**
 * @example
 * const notifier = createNotifier({ target: createSlackTarget({ pretext }), destination, logger, metrics, redis });
 * return notifier.notify(event, ctx); // in the handler
 */
export function createNotifier<M>(options: NotifierOptions<M>): Notifier {
  const { target, destination, logger } = options;
  const rate = options.rate ?? target.rate;
  const prefix = options.keyPrefix ?? 'veba:notifier:';
  // Unpaced targets (email) still get a limiter: it carries a 429-style hold, per instance.
  const limiter =
    rate === undefined
      ? createMemoryRateLimiter({
          perSecond: Number.POSITIVE_INFINITY,
          burst: Number.POSITIVE_INFINITY,
        })
      : options.redis && destination
        ? createRedisRateLimiter({
            redis: options.redis,
            destinationId: destination.id,
            keyPrefix: prefix,
            ...rate,
          })
        : createMemoryRateLimiter(rate);
  const ttlMs = (options.maintenanceTtlSeconds ?? 86_400) * 1000;
  const tracker = !options.suppressInMaintenance
    ? undefined
    : options.redis
      ? createRedisMaintenanceTracker({ redis: options.redis, ttlMs, keyPrefix: prefix })
      : createMemoryMaintenanceTracker({ ttlMs });
  const client = options.client ?? httpClient(target);
  function httpClient(t: NotificationTarget<M> | MessageRenderer<M>): TargetClient<M> {
    if (!('request' in t) || destination === undefined) {
      throw new TypeError(`${t.label}: needs a client, or an HTTP target and a destination`);
    }
    return createTargetClient({
      target: t,
      destination,
      logger,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  }
  const sequencer = options.sequenceBy ? createKeyedSequencer() : undefined;
  const dispatcher: DigestDispatcher = createDigestDispatcher({
    target,
    client,
    limiter,
    logger,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.digest !== undefined ? { digest: options.digest } : {}),
    ...(options.minSendWindowMs !== undefined ? { minSendWindowMs: options.minSendWindowMs } : {}),
    ...(options.maxRateLimitRetries !== undefined
      ? { maxRateLimitRetries: options.maxRateLimitRetries }
      : {}),
  });
  const suppressed = options.metrics
    ? registeredCounter(options.metrics, SUPPRESSED_METRIC)
    : undefined;

  /** Entered / exit maintenance events mark / unmark their host. */
  async function observeMaintenance(event: VSphereEvent): Promise<void> {
    if (tracker === undefined) return;
    if (event.eventClass !== ENTERED && event.eventClass !== EXITED) return;
    const host = event.requireHost();
    try {
      await tracker.record(
        event.source,
        host.moref,
        event.eventClass === ENTERED,
        event.requireKey(),
      );
    } catch (error) {
      throw new DependencyUnavailableError('maintenance marks unavailable (Redis)', {
        cause: error,
      });
    }
  }

  async function inMaintenance(hostMoref: string, source: string): Promise<boolean> {
    try {
      return await tracker!.inMaintenance(source, hostMoref);
    } catch (error) {
      throw new DependencyUnavailableError('maintenance marks unavailable (Redis)', {
        cause: error,
      });
    }
  }

  return {
    target: target.label,
    destination: destination?.masked ?? target.label,
    pacing: limiter.kind,
    maintenance: tracker?.kind ?? 'off',
    async notify(event, ctx) {
      const notification = buildNotification(event);
      target.check?.(notification);
      await observeMaintenance(event);
      const suppressible = target.maySuppress?.(notification) ?? true;
      if (tracker && suppressible && notification.family === 'alarm' && notification.host) {
        if (await inMaintenance(notification.host.moref, event.source)) {
          suppressed?.inc({ target: target.metricName, reason: 'host_in_maintenance' });
          ctx.logger.info(
            { host: notification.host.moref, eventClass: event.eventClass },
            `alarm on host ${notification.host.name ?? notification.host.moref} in maintenance: not posted`,
          );
          return { skipped: 'host in maintenance' };
        }
      }
      const send = () =>
        dispatcher.deliver(notification, {
          deadline: ctx.deadline,
          logger: ctx.logger,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
      const conversation = options.sequenceBy?.(notification);
      let delivery;
      if (sequencer && conversation !== undefined) {
        const result = await sequencer.run(conversation, notification.key, send);
        if ('stale' in result) {
          ctx.logger.info(
            {
              eventClass: event.eventClass,
              vcenterEventKey: notification.key,
              newer: result.stale,
            },
            `not sent: event ${notification.key ?? '?'} is older than event ${result.stale} already sent for its conversation`,
          );
          const skipped: SkipResult = {
            skipped: `stale: key ${notification.key ?? '?'} is older than ${result.stale} already sent`,
          };
          return skipped;
        }
        delivery = result.value;
      } else {
        delivery = await send();
      }
      ctx.logger.info(
        {
          eventClass: event.eventClass,
          family: notification.family,
          vcenterEventKey: notification.key,
          digest: delivery.digest,
          events: delivery.events,
        },
        `posted ${target.label} message for ${event.eventClass} (event ${notification.key ?? '?'})${
          delivery.digest ? ` in a digest of ${delivery.events}` : ''
        }`,
      );
      const body: PostedBody = {
        ...delivery.details,
        posted: true,
        eventClass: event.eventClass,
        family: notification.family,
        digest: delivery.digest,
        events: delivery.events,
      };
      return { status: 200, body };
    },
    close() {
      dispatcher.close();
    },
  };
}

const SUPPRESSED_METRIC = {
  name: 'veba_notifier_suppressed_total',
  help: 'Events not posted on purpose, by reason (host_in_maintenance: an alarm on a host in maintenance mode)',
  labelNames: ['target', 'reason'],
} as const;
