import type { HandleResult, HandlerContext } from '@veba-functions/runtime';
import type { VSphereEvent } from '@veba-functions/vsphere-events';
import type { FunctionConfig } from './config.js';
import { VmNameMissingError } from './errors.js';

/** What `init` builds once and every event shares (clients, caches); this example needs none. */
export type State = undefined;

/** What the handler gets: the state from `init`, the config, a logger bound to the event, a deadline. */
export type Context = HandlerContext<State, FunctionConfig>;

/** The 200 body of a handled event. */
export interface Outcome {
  vm: string;
  vmName: string;
}

/**
 * The function's logic: pure over the parsed event and what `ctx` injects, so a unit test calls it
 * directly. Replace the body with yours.
 *
 * - a VM without a usable reference -> `InvalidEventError` (400) from `requireVm()`
 * - a VM without a name -> `VmNameMissingError` (400)
 * - a name that does not match `VM_NAME_PATTERN` -> `{ skipped }` (200)
 * - otherwise one info line and `{ vm, vmName }` (200)
 */
export function handle(event: VSphereEvent, ctx: Context): HandleResult {
  const vm = event.requireVm();
  if (vm.name === undefined) throw new VmNameMissingError(vm.moref);
  if (!ctx.config.VM_NAME_PATTERN.test(vm.name)) {
    return { skipped: `VM ${vm.name} does not match VM_NAME_PATTERN` };
  }
  ctx.logger.info({ vm: vm.moref }, `${event.eventClass}: ${vm.name}`);
  const body: Outcome = { vm: vm.moref, vmName: vm.name };
  return { status: 200, body };
}
