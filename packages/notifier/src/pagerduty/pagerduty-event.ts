/**
 * The message model as a PagerDuty Events API v2 event. Every field, status and limit below is
 * from PagerDuty's documentation:
 * - alert events (`/v2/enqueue`): `routing_key`, `event_action` (`trigger`, `acknowledge`,
 *   `resolve`), `dedup_key` (at most 255 characters), `payload.summary` (required, at most 1024
 *   characters), `payload.source` (required), `payload.severity` (required: `critical`, `error`,
 *   `warning`, `info`), `payload.timestamp`, `payload.component`, `payload.group`,
 *   `payload.class`, `payload.custom_details`, `client`, `client_url`:
 *   https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
 *   (github.com/PagerDuty/developer-docs docs/events-API-v2/02-Trigger-Events.md);
 * - change events (`/v2/change/enqueue`): `routing_key`, `payload.summary` (required, at most
 *   1024 characters), `payload.source`, `payload.timestamp`, `payload.custom_details`, `links`:
 *   https://developer.pagerduty.com/docs/events-api-v2/send-change-events/ (03-Change-Events.md);
 * - "Events API payloads are limited to 512 KB":
 *   https://developer.pagerduty.com/docs/events-api-v2/overview/ (01-Overview.md, Size Limits).
 *
 * `AlarmStatusChangedEvent` to red triggers with severity `critical`, to yellow `warning`, to
 * green or gray resolves; one `dedup_key` per alarm, object and vCenter ("Submitting subsequent
 * events for the same dedup_key will result in those events being applied to an open alert"), so
 * a resolve closes the incident its trigger opened and a repeated trigger updates it. Every other
 * vSphere event is a change event (context for responders, no notification). Pure.
 */
import { createHash } from 'node:crypto';
import { InvalidEventError } from '@veba-functions/runtime';
import { fitBytes } from '../fit.js';
import type { Notification } from '../model.js';
import { truncateText } from '../text.js';

/** PagerDuty's documented limits (see above). */
export const PAGERDUTY_LIMITS = {
  summary: 1024,
  dedupKey: 255,
  /** 512 KB; we stay under 500,000 bytes of JSON to leave room for the envelope. */
  bodyBytes: 512 * 1024,
  budgetBytes: 500_000,
} as const;

/** The PD-CEF severities. */
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

/** The `payload` of an alert trigger. */
export interface PagerDutyAlertPayload {
  summary: string;
  source: string;
  severity: PagerDutySeverity;
  timestamp?: string;
  component?: string;
  group?: string;
  class?: string;
  custom_details?: Record<string, unknown>;
}

/** One event to send, without the routing key (the target adds it). */
export type PagerDutyMessage =
  | {
      kind: 'alert';
      event_action: 'trigger';
      dedup_key: string;
      payload: PagerDutyAlertPayload;
      client: string;
      client_url?: string;
    }
  | { kind: 'alert'; event_action: 'resolve'; dedup_key: string }
  | {
      kind: 'change';
      payload: {
        summary: string;
        source?: string;
        timestamp?: string;
        custom_details?: Record<string, unknown>;
      };
    };

const SEVERITIES: ReadonlyMap<string, PagerDutySeverity | 'resolve'> = new Map<
  string,
  PagerDutySeverity | 'resolve'
>([
  ['red', 'critical'],
  ['yellow', 'warning'],
  ['green', 'resolve'],
  ['gray', 'resolve'],
]);

const CLIENT = 'VMware Event Broker Appliance (veba-functions pagerduty-alert)';

/**
 * Checks what an alarm needs to be paged: a `To` of red, yellow, green or gray, and the alarm and
 * its object (their ids make the `dedup_key`). Other events need nothing more.
 *
 * @throws InvalidEventError (400) naming the field.
 */
export function checkPagerDutyEvent(n: Notification): void {
  if (n.family !== 'alarm' || n.alarm === undefined) return;
  if (!n.alarm.known) {
    throw new InvalidEventError(
      `data.To must be red, yellow, green or gray for a PagerDuty alert (got ${n.alarm.to === 'gray' ? 'none' : JSON.stringify(truncateText(n.alarm.to, 40))})`,
    );
  }
  if (n.alarm.alarmRef === undefined) {
    throw new InvalidEventError('data.Alarm is missing: the alarm names the PagerDuty dedup_key');
  }
  if (n.alarm.entityRef === undefined) {
    throw new InvalidEventError(
      'data.Entity is missing: the alarmed object names the PagerDuty dedup_key',
    );
  }
}

/**
 * The `dedup_key` of an alarm on one object in one vCenter:
 * `vsphere-alarm/<vcenter>/<alarm moref>/<object moref>`, or a hash of it when longer than 255.
 */
export function alarmDedupKey(n: Notification): string | undefined {
  if (n.alarm?.alarmRef === undefined || n.alarm.entityRef === undefined) return undefined;
  const vcenter = n.vcenter ?? n.identity?.source ?? 'vcenter';
  const readable = `vsphere-alarm/${vcenter}/${n.alarm.alarmRef}/${n.alarm.entityRef}`;
  if (readable.length <= PAGERDUTY_LIMITS.dedupKey) return readable;
  return `vsphere-alarm/sha256/${createHash('sha256').update(readable).digest('hex')}`;
}

/**
 * The PagerDuty event of one notification (call {@link checkPagerDutyEvent} first).
 *
 * @example pagerDutyEventOf(buildNotification(alarmToRed)) // { kind: 'alert', event_action: 'trigger', ... }
 */
export function pagerDutyEventOf(n: Notification): PagerDutyMessage {
  if (n.family === 'alarm' && n.alarm !== undefined) {
    const dedupKey = alarmDedupKey(n);
    const action = SEVERITIES.get(n.alarm.status);
    if (dedupKey !== undefined && action !== undefined) {
      if (action === 'resolve')
        return { kind: 'alert', event_action: 'resolve', dedup_key: dedupKey };
      return fitBytes(PAGERDUTY_LIMITS.budgetBytes, (scale) => trigger(n, dedupKey, action, scale));
    }
  }
  return fitBytes(PAGERDUTY_LIMITS.budgetBytes, (scale) => change(n, scale));
}

function trigger(
  n: Notification,
  dedupKey: string,
  severity: PagerDutySeverity,
  scale: number,
): PagerDutyMessage {
  const payload: PagerDutyAlertPayload = {
    summary: truncateText(n.headline, PAGERDUTY_LIMITS.summary),
    source: sourceOf(n),
    severity,
  };
  const timestamp = timeOf(n);
  if (timestamp) payload.timestamp = timestamp;
  if (n.object) payload.component = `${n.object.kind} ${n.object.name}`;
  const group = factValue(n, 'Cluster') ?? factValue(n, 'Datacenter') ?? n.vcenter;
  if (group) payload.group = group;
  if (n.alarm) payload.class = n.alarm.name;
  const details = customDetails(n, scale);
  if (details) payload.custom_details = details;
  const message: PagerDutyMessage = {
    kind: 'alert',
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload,
    client: CLIENT,
  };
  if (n.vcenter) message.client_url = `https://${n.vcenter}/ui/`;
  return message;
}

function change(n: Notification, scale: number): PagerDutyMessage {
  const payload: Extract<PagerDutyMessage, { kind: 'change' }>['payload'] = {
    summary: truncateText(n.headline, PAGERDUTY_LIMITS.summary),
    source: sourceOf(n),
  };
  const timestamp = timeOf(n);
  if (timestamp) payload.timestamp = timestamp;
  const details = customDetails(n, scale);
  if (details) payload.custom_details = details;
  return { kind: 'change', payload };
}

/** The affected system: the object's name, else the vCenter. */
function sourceOf(n: Notification): string {
  return truncateText(n.object?.name ?? n.vcenter ?? 'vCenter', 255);
}

function timeOf(n: Notification): string | undefined {
  const time = n.facts.find((fact) => fact.label === 'Time')?.time;
  return time ? time.toISOString() : undefined;
}

function factValue(n: Notification, label: string): string | undefined {
  return n.facts.find((fact) => fact.label === label)?.value;
}

/**
 * Facts by label, then what identifies the event. `Object.fromEntries` defines own properties, so
 * a label from event text named `__proto__` is just a key.
 */
function customDetails(n: Notification, scale: number): Record<string, unknown> | undefined {
  if (scale === 0) return undefined;
  const valueMax = Math.max(40, Math.floor(4000 * scale));
  const entries: Array<[string, unknown]> = n.facts.map((fact) => [
    truncateText(fact.label, 100),
    truncateText(fact.value, valueMax),
  ]);
  if (n.alarm)
    entries.push(['alarm status', n.alarm.from ? `${n.alarm.from} → ${n.alarm.to}` : n.alarm.to]);
  if (n.detail)
    entries.push([
      n.detail.label,
      truncateText(n.detail.text, Math.max(200, Math.floor(100_000 * scale))),
    ]);
  entries.push(['event class', n.eventClass]);
  if (n.key !== undefined) entries.push(['vCenter event key', n.key]);
  if (n.vcenter) entries.push(['vCenter', n.vcenter]);
  return Object.fromEntries(entries);
}
