import type { HandleResult, HandlerContext } from '@veba-functions/runtime';
import type { NotifierState } from '@veba-functions/notifier';
import type { VSphereEvent } from '@veba-functions/vsphere-events';
import type { PagerDutyAlertConfig } from './config.js';

/** What `init` builds once and every event shares: the notifier for the routing key. */
export type State = NotifierState;

/** What the handler gets from the runtime. */
export type Context = HandlerContext<State, PagerDutyAlertConfig>;

/**
 * One PagerDuty event per vSphere event:
 *
 * - `AlarmStatusChangedEvent` to red or yellow -> `trigger` (`critical` / `warning`), to green or
 *   gray -> `resolve`, one `dedup_key` per alarm, object and vCenter; any other event -> a change
 *   event
 * - an unusable event (no `Key`; an alarm without a known `To`, `Alarm` or `Entity`; a VM event
 *   without `Vm`) -> `InvalidEventError` (400), nothing sent
 * - an alarm older than one already sent for its `dedup_key` -> 200 `{ skipped: 'stale: ...' }`
 * - otherwise 200 `{ posted: true, action, dedupKey? }` once PagerDuty answered 202; its refusals
 *   map to 502 (400) or 503 (429, 5xx), see README
 */
export function handle(event: VSphereEvent, ctx: Context): Promise<HandleResult> {
  return ctx.state.notifier.notify(event, ctx);
}
