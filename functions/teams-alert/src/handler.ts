import type { HandleResult, HandlerContext } from '@veba-functions/runtime';
import type { NotifierState } from '@veba-functions/notifier';
import type { VSphereEvent } from '@veba-functions/vsphere-events';
import type { TeamsAlertConfig } from './config.js';

/** What `init` builds once and every event shares: the notifier for the one webhook. */
export type State = NotifierState;

/** What the handler gets from the runtime. */
export type Context = HandlerContext<State, TeamsAlertConfig>;

/**
 * One Microsoft Teams message per vSphere event (alone, or folded into a digest during a storm):
 *
 * - an unusable event (no `Key`; a VM event without a well-formed `Vm`; a host maintenance event
 *   without `Host`) -> `InvalidEventError` (400), nothing posted
 * - with `NOTIFY_SUPPRESS_IN_MAINTENANCE=true`, an alarm on a host in maintenance (or on a VM
 *   whose event names that host) -> 200 `{ skipped: 'host in maintenance' }`
 * - otherwise 200 `{ posted: true, eventClass, family, digest, events }` once Microsoft Teams accepted the
 *   message carrying it; Microsoft Teams's refusals map to 502 / 503 / 500 (see README)
 */
export function handle(event: VSphereEvent, ctx: Context): Promise<HandleResult> {
  return ctx.state.notifier.notify(event, ctx);
}
