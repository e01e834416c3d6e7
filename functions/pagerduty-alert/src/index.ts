import { ConfigError, defineFunction } from '@veba-functions/runtime';
import {
  alarmDedupKey,
  connectNotifierRedis,
  createNotifier,
  createPagerDutyTarget,
  disconnectNotifierRedis,
  notificationOf,
  parseDestination,
  type NotifierOptions,
} from '@veba-functions/notifier';
import { createStateGuards, type StateGuardsOptions } from '@veba-functions/state';
import { vsphereEventParser, type VSphereEvent } from '@veba-functions/vsphere-events';
import { config, secretVariables, sensitiveKeys } from './config.js';
import { handle, type State } from './handler.js';

/** Options of {@link createPagerDutyAlert} (tests; production uses the defaults). */
export interface PagerDutyAlertOptions {
  /** Dedupe and ordering store options (default: Redis from `REDIS_URL`, else in memory). */
  state?: Pick<StateGuardsOptions<VSphereEvent>, 'store' | 'storeOptions'>;
  /** Notifier overrides: pacing rate, Redis key prefix. */
  notifier?: Pick<NotifierOptions<unknown>, 'rate' | 'keyPrefix'>;
}

/**
 * The ordering scope of an alarm: one alarm on one object in one vCenter (its `dedup_key`).
 * Other events are not ordered (change events stand alone).
 */
export function alarmScope(event: VSphereEvent): string | undefined {
  return event.family === 'alarm' ? notificationOf(event).conversation : undefined;
}

/**
 * pagerduty-alert: vSphere alarms trigger and resolve PagerDuty incidents; other vSphere events
 * are sent as change events.
 *
 * Dedupe is on: a page must happen once per event. Ordering is on per alarm (dedup key): a late
 * trigger must not reopen an incident its newer resolve closed, so an alarm event older (by
 * `Key`) than one already sent for that alarm is skipped as stale — by the ordering guard across
 * replicas, and within a process by sending one event per dedup key at a time.
 *
 * @example
 * await serve(createPagerDutyAlert());
 */
export function createPagerDutyAlert(options: PagerDutyAlertOptions = {}) {
  let redis: Awaited<ReturnType<typeof connectNotifierRedis>>;
  let notifier: ReturnType<typeof createNotifier> | undefined;
  return defineFunction({
    name: 'pagerduty-alert',
    config,
    secretVariables,
    sensitiveKeys,
    parse: vsphereEventParser(),
    guards: createStateGuards<VSphereEvent>({
      dedupe: true,
      ordering: { policy: 'skip', scope: alarmScope },
      ...options.state,
    }),
    async init({ config: c, logger, metrics }): Promise<State> {
      const routingKey = c.PAGERDUTY_ROUTING_KEY?.trim();
      if (!routingKey) {
        throw new ConfigError([
          'PAGERDUTY_ROUTING_KEY: missing (looked in env PAGERDUTY_ROUTING_KEY and JSON secret PAGERDUTY_SECRET)',
        ]);
      }
      // "This is the 32 character Integration Key" (Events API v2, Send an Alert Event).
      if (routingKey.length !== 32) {
        throw new ConfigError([
          'PAGERDUTY_ROUTING_KEY: invalid: an Events API v2 integration key has 32 characters',
        ]);
      }
      const destination = parseDestination(c.PAGERDUTY_EVENTS_URL, {
        key: 'PAGERDUTY_EVENTS_URL',
        from: 'PAGERDUTY_EVENTS_URL',
        secrets: [routingKey],
        urlIsSecret: false,
        refuse: (url) =>
          /\/enqueue\/?$/.test(url.pathname)
            ? undefined
            : 'expected the Events API v2 endpoint, ending in /v2/enqueue',
      });
      redis = await connectNotifierRedis(c, logger);
      notifier = createNotifier({
        target: createPagerDutyTarget({ routingKey }),
        destination,
        logger,
        metrics,
        timeoutMs: c.PAGERDUTY_TIMEOUT_SECONDS * 1000,
        redis,
        suppressInMaintenance: c.NOTIFY_SUPPRESS_IN_MAINTENANCE,
        maintenanceTtlSeconds: c.NOTIFY_MAINTENANCE_TTL_SECONDS,
        // A 429 answers 503 + Retry-After at once (PagerDuty suggests waiting 30 s); every
        // sender of the routing key holds meanwhile.
        maxRateLimitRetries: 0,
        sequenceBy: alarmDedupKey,
        ...options.notifier,
      });
      logger.info(
        {
          eventsUrl: destination.masked,
          pacing: notifier.pacing,
          maintenance: notifier.maintenance,
        },
        'pagerduty-alert ready',
      );
      return { notifier };
    },
    handle,
    async shutdown() {
      notifier?.close();
      await disconnectNotifierRedis(redis);
    },
  });
}
