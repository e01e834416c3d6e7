import type { VSphereEvent } from '@veba-functions/vsphere-events';

/** What the function did with one event; it becomes the 200 response body. */
export interface Outcome {
  eventClass: string;
  vm: string;
  vmName?: string;
  message: string;
}

/**
 * The function's logic, apart from the server so a unit test can call it directly. Replace the
 * body with your own. A missing or malformed field throws `InvalidEventError` (-> 400, the broker
 * does not retry); a dependency that is down should throw `DependencyUnavailableError` (-> 503,
 * retried).
 *
 * @example handleEvent(parseVSphereEvent(cloudEvent)) // { eventClass: 'DrsVmPoweredOnEvent', vm: 'vm-596', ... }
 */
export function handleEvent(event: VSphereEvent): Outcome {
  const vm = event.requireVm();
  return {
    eventClass: event.eventClass,
    vm: vm.moref,
    vmName: vm.name,
    message: event.fullFormattedMessage ?? `${event.eventClass} on ${vm.moref}`,
  };
}
