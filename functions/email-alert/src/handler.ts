import type { HandleResult, HandlerContext } from '@veba-functions/runtime';
import type { NotifierState } from '@veba-functions/notifier';
import type { VSphereEvent } from '@veba-functions/vsphere-events';
import type { EmailAlertConfig } from './config.js';

/** What `init` builds once and every event shares: the notifier for the SMTP server. */
export type State = NotifierState;

/** What the handler gets from the runtime. */
export type Context = HandlerContext<State, EmailAlertConfig>;

/**
 * One email per vSphere event:
 *
 * - an unusable event (no `Key`; a VM event without a well-formed `Vm`; a host maintenance event
 *   without `Host`) -> `InvalidEventError` (400), nothing sent
 * - with `NOTIFY_SUPPRESS_IN_MAINTENANCE=true`, an alarm on a host in maintenance -> 200
 *   `{ skipped: 'host in maintenance' }`
 * - otherwise 200 `{ posted: true, eventClass, family, messageId, accepted, refused }` once the
 *   SMTP server accepted the mail for at least one recipient; the server's refusals map to 503
 *   (4xx) or 502 (5xx) on their reply code (see README)
 */
export function handle(event: VSphereEvent, ctx: Context): Promise<HandleResult> {
  return ctx.state.notifier.notify(event, ctx);
}
