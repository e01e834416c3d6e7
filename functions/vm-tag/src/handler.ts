import type { HandleResult, HandlerContext } from '@veba-functions/runtime';
import { applyTagToVm, type TagAction, type TagFunctionState } from '@veba-functions/vcenter';
import type { VSphereEvent } from '@veba-functions/vsphere-events';
import type { VmTagConfig } from './config.js';

/** What `init` keeps warm: one vCenter session, the batched calls, the resolved tag, the action. */
export type State = TagFunctionState<VSphereEvent>;

export type Context = HandlerContext<State, VmTagConfig>;

/** The 200 body of a processed event. */
export interface Outcome {
  vm: string;
  vmName: string | undefined;
  action: TagAction;
  tag: string;
  tagId: string;
  /** False for a detach when the tag no longer exists in vCenter at all (nothing to detach). */
  tagExists: boolean;
}

/** Whether the event names a VM at all (`data.Vm` present and not null). */
export function namesVm(event: VSphereEvent): boolean {
  const vm = event.data['Vm'];
  return vm !== undefined && vm !== null;
}

/**
 * Attaches or detaches (`TAG_ACTION`) the configured tag on the VM the event names. The
 * Triggers choose the event types; the function acts on whatever they deliver.
 *
 * - an event naming no VM (`data.Vm` missing or null) -> `{ skipped }` (200)
 * - a VM reference that is there but unusable -> `InvalidEventError` (400)
 * - detaching a tag that is not on the VM, or that no longer exists -> 200 (nothing to detach)
 * - the VM no longer exists in vCenter -> 400, logged at warn
 * - vCenter down or silent past the deadline -> 503; anything vCenter refuses -> 502
 */
export async function handle(event: VSphereEvent, ctx: Context): Promise<HandleResult> {
  if (!namesVm(event)) return { skipped: `${event.eventClass} names no VM` };
  const vm = event.requireVm();
  const { action } = ctx.state;
  const { tag, tagExists } = await applyTagToVm(ctx.state, action, vm.moref, {
    signal: ctx.signal,
    logger: ctx.logger,
    arrival: ctx.state.arrivalOf(event),
  });
  const done =
    action === 'attach' ? `attached tag ${tag.name} to` : `detached tag ${tag.name} from`;
  ctx.logger.info(
    {
      vm: vm.moref,
      vmName: vm.name,
      action,
      tag: tag.name,
      tagId: tag.id,
      event: event.eventClass,
    },
    `${done} ${vm.moref} (${vm.name ?? 'unnamed'}) on ${event.eventClass}`,
  );
  const body: Outcome = {
    vm: vm.moref,
    vmName: vm.name,
    action,
    tag: tag.name,
    tagId: tag.id,
    tagExists,
  };
  return { status: 200, body };
}
