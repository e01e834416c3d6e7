import type { HandleResult, HandlerContext } from '@veba-functions/runtime';
import { applyTagToVm, type TagFunctionState } from '@veba-functions/vcenter';
import type { VSphereEvent } from '@veba-functions/vsphere-events';
import type { VmTagOnPowerOnConfig } from './config.js';

/** What `init` keeps warm: one vCenter session, the batched attaches, the resolved tag. */
export type State = TagFunctionState<VSphereEvent>;

export type Context = HandlerContext<State, VmTagOnPowerOnConfig>;

/** The 200 body of a processed power-on. */
export interface Outcome {
  vm: string;
  vmName: string | undefined;
  tag: string;
  tagId: string;
}

/**
 * Attaches the configured tag to the VM of a power-on (the parser already skipped every other
 * class). The attach shares a vCenter call with the power-ons in flight at the same moment.
 *
 * - no usable `data.Vm.Vm` -> `InvalidEventError` (400) from `requireVm()`
 * - the VM no longer exists in vCenter -> 400 (`toRuntimeError`), logged at warn
 * - vCenter down, timing out, 5xx or 429 -> 503 (the broker retries)
 * - the tag deleted and not found again, privileges, anything else vCenter refuses -> 502
 */
export async function handle(event: VSphereEvent, ctx: Context): Promise<HandleResult> {
  const vm = event.requireVm();
  const { tag } = await applyTagToVm(ctx.state, 'attach', vm.moref, {
    signal: ctx.signal,
    logger: ctx.logger,
    arrival: ctx.state.arrivalOf(event),
    hint: 'deleted since it powered on?',
  });
  ctx.logger.info(
    { vm: vm.moref, vmName: vm.name, tag: tag.name, tagId: tag.id },
    `attached tag ${tag.name} to ${vm.moref} (${vm.name ?? 'unnamed'})`,
  );
  const body: Outcome = { vm: vm.moref, vmName: vm.name, tag: tag.name, tagId: tag.id };
  return { status: 200, body };
}
