import type { CloudEvent, SkipResult } from '@veba-functions/runtime';
import { type VSphereEvent, parseVSphereEvent } from './event.js';
import { eventClassOf, isVSphereType } from './type-names.js';

/** Options of {@link vsphereEventParser}. */
export interface VSphereEventParserOptions {
  /**
   * The event classes (or EventTypeIds) the function acts on; any other class is skipped (200,
   * counted `ignored`) before `data` is read. Default: every vSphere event.
   */
  classes?: Iterable<string>;
}

/**
 * The `parse` step of a vSphere function's definition: each delivery is parsed once into a
 * {@link VSphereEvent} that the guards and the handler share. A type that is not a vSphere type,
 * or a class outside `classes`, is skipped (200 `{ skipped }`): a Trigger may be broader than the
 * function. A broken envelope or payload throws `InvalidEventError` (400).
 *
 * @example
 * defineFunction({
 *   name: 'vm-tag-on-power-on',
 *   parse: vsphereEventParser({ classes: ['DrsVmPoweredOnEvent', 'VmPoweredOnEvent'] }),
 *   handle: (event, ctx) => ..., // event: VSphereEvent
 * });
 */
export function vsphereEventParser(
  options: VSphereEventParserOptions = {},
): (event: CloudEvent<unknown>) => VSphereEvent | SkipResult {
  const classes = options.classes === undefined ? undefined : new Set(options.classes);
  return (event) => {
    // A plain boolean: the predicate's negation would narrow `type` to never.
    const vsphere: boolean = isVSphereType(event.type);
    if (!vsphere) {
      return { skipped: `type ${event.type} is not a vSphere event type` };
    }
    if (classes !== undefined) {
      const eventClass = eventClassOf(event);
      // A legacy router event without a usable subject has no class: parsing names the problem (400).
      if (eventClass !== undefined && !classes.has(eventClass)) {
        return { skipped: `type not handled: ${eventClass}` };
      }
    }
    return parseVSphereEvent(event);
  };
}

/**
 * The ordering scope "one VM of one vCenter" (vCenter event keys grow per vCenter, and vm-42 in
 * two vCenters are two VMs): `<source>|<moref>`. Events without a usable VM are not ordered.
 *
 * @example createStateGuards({ dedupe: true, ordering: { scope: vmOrderingScope } })
 */
export function vmOrderingScope(event: VSphereEvent): string | undefined {
  const vm = event.entity('Vm');
  return vm === undefined ? undefined : `${event.source}|${vm.moref}`;
}
