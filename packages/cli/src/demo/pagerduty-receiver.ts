import { startPagerDutyReceiver, type PagerDutyReceiver } from '@veba-functions/notifier/testing';
import type { Receiver, ReceiverSpec } from './receivers.js';

/** PagerDuty's Events API v2 stand-in as the demo counts it. */
export interface PagerDutyStandIn extends Receiver {
  /** `PAGERDUTY_EVENTS_URL` (`.../v2/enqueue`; change events go to `.../v2/change/enqueue`). */
  readonly url: string;
  /** `PAGERDUTY_ROUTING_KEY`: 32 characters, as PagerDuty's are. */
  readonly routingKey: string;
  readonly receiver: PagerDutyReceiver;
  /** Alert events (trigger, resolve) and change events accepted: one per event sent. */
  accepted(): number;
  /** Incidents (one per `dedup_key`) a trigger opened, and those of them a resolve closed. */
  incidents(): { opened: number; resolved: number };
}

/**
 * `startPagerDutyReceiver()` of `@veba-functions/notifier/testing`: 202 or 400 as PagerDuty's
 * Events API v2 documents (cited there), keeping each incident's state by `dedup_key`.
 */
export const pagerDutyEvents: ReceiverSpec<PagerDutyStandIn> = {
  id: 'pagerduty',
  async start() {
    const receiver = await startPagerDutyReceiver();
    const incidents = (): { opened: number; resolved: number } => {
      const states = [...receiver.incidents.values()];
      return { opened: states.length, resolved: states.filter((s) => s === 'resolved').length };
    };
    return {
      url: receiver.url,
      address: receiver.url,
      routingKey: receiver.routingKey,
      receiver,
      accepted: () => receiver.alerts.length + receiver.changes.length,
      incidents,
      counts() {
        const actions = new Map<string, number>();
        for (const alert of receiver.alerts) {
          const action = String(alert.event_action);
          actions.set(action, (actions.get(action) ?? 0) + 1);
        }
        const { opened, resolved } = incidents();
        const stand = 'local Events API v2 stand-in (202)';
        const split = [...actions].map(([action, n]) => `${n} ${action}`).join(', ');
        return [
          {
            result: 'PagerDuty alert events',
            count: receiver.alerts.length,
            source: `${stand}: ${split || 'none'}`,
          },
          { result: 'PagerDuty change events', count: receiver.changes.length, source: stand },
          {
            result: 'PagerDuty incidents opened',
            count: opened,
            source: 'distinct dedup_keys a trigger opened',
          },
          {
            result: 'PagerDuty incidents resolved',
            count: resolved,
            source: 'of those, closed by a resolve (the alarm back to green)',
          },
        ];
      },
      stop: () => receiver.close(),
    };
  },
};
