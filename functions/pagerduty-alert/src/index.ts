import { ConfigError } from '@veba-functions/runtime';
import {
  alarmDedupKey,
  createPagerDutyTarget,
  defineNotifierFunction,
  notificationOf,
  parseDestination,
  type NotifierFunctionOptions,
} from '@veba-functions/notifier';
import type { VSphereEvent } from '@veba-functions/vsphere-events';
import { config, secretVariables, sensitiveKeys } from './config.js';
import { handle } from './handler.js';

/** Options of {@link createPagerDutyAlert} (tests; production uses the defaults): pacing rate, Redis key prefix. */
export type PagerDutyAlertOptions = NotifierFunctionOptions<'rate' | 'keyPrefix'>;

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
  return defineNotifierFunction(
    {
      name: 'pagerduty-alert',
      config,
      secretVariables,
      sensitiveKeys,
      orderBy: alarmScope,
      setup(c) {
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
        return {
          target: createPagerDutyTarget({ routingKey }),
          destination,
          timeoutMs: c.PAGERDUTY_TIMEOUT_SECONDS * 1000,
          fixed: {
            // A 429 answers 503 + Retry-After at once (PagerDuty suggests waiting 30 s); every
            // sender of the routing key holds meanwhile.
            maxRateLimitRetries: 0,
            sequenceBy: alarmDedupKey,
          },
          ready: { eventsUrl: destination.masked },
        };
      },
      handle,
    },
    options,
  );
}
