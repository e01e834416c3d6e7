/**
 * What a storm digest says, before any target renders it: how many events of each family, and
 * one line per event (as many as the target's size allows, then "and N more").
 */
import type { EventFamily } from '@veba-functions/vsphere-events';
import type { Notification } from './model.js';

/** Family names as a person reads them. */
const FAMILY_NAMES: ReadonlyMap<EventFamily, string> = new Map<EventFamily, string>([
  ['vm', 'VM events'],
  ['alarm', 'alarms'],
  ['host-maintenance', 'host maintenance'],
  ['ha-failover', 'vSphere HA'],
  ['tagging', 'tagging'],
  ['sso-login-failure', 'SSO login failures'],
  ['task', 'tasks'],
  ['backup-job', 'backup jobs'],
  ['eventex', 'other EventEx'],
  ['generic', 'other events'],
]);

/** The per-family counts of a digest, largest first (ties in first-seen order). */
export function familyCounts(
  notifications: readonly Notification[],
): Array<{ family: EventFamily; name: string; count: number }> {
  const counts = new Map<EventFamily, number>();
  for (const n of notifications) counts.set(n.family, (counts.get(n.family) ?? 0) + 1);
  return [...counts.entries()]
    .map(([family, count]) => ({ family, name: FAMILY_NAMES.get(family) ?? family, count }))
    .sort((a, b) => b.count - a.count);
}

/** The digest title: `37 vSphere events` (with the vCenter when they all share one). */
export function digestTitle(notifications: readonly Notification[]): string {
  const vcenters = new Set(notifications.map((n) => n.vcenter ?? ''));
  const one = vcenters.size === 1 ? [...vcenters][0] : undefined;
  return `${notifications.length} vSphere events${one ? ` from ${one}` : ''}`;
}

/** The one line an event gets in a digest: its title and, when named, its object. */
export function digestLine(n: Notification): string {
  const object = n.object ? ` · ${n.object.name}` : '';
  return `${n.title}${object}`;
}

/** The worst severity among the events (for a digest's colour). */
export function worstSeverity(notifications: readonly Notification[]): Notification['severity'] {
  const order: Array<Notification['severity']> = ['danger', 'warning', 'info', 'good', 'neutral'];
  for (const severity of order)
    if (notifications.some((n) => n.severity === severity)) return severity;
  return 'info';
}

/** `and 12 more` */
export function moreLine(count: number): string {
  return `and ${count} more`;
}

/**
 * A digest's event lines, fitted to `scale` (from `fitBytes`): up to `max` lines at full scale,
 * fewer as it shrinks (at least one, none at 0), each `line(n, scale)`, and `more(count)` for the
 * events not listed.
 */
export function scaledDigestLines(
  notifications: readonly Notification[],
  scale: number,
  max: number,
  line: (n: Notification, scale: number) => string,
  more: (count: number) => string,
): string[] {
  const shown = scale === 0 ? 0 : Math.max(1, Math.floor(max * Math.min(1, scale * 2)));
  const lines = notifications.slice(0, shown).map((n) => line(n, scale));
  if (notifications.length > shown) lines.push(more(notifications.length - shown));
  return lines;
}
