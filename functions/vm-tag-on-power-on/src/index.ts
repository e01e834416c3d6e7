import { defineFunction } from '@veba-functions/runtime';
import { createStateGuards, defaultIdentity } from '@veba-functions/state';
import { createTagFunction, tagTargetOptionsFromConfig } from '@veba-functions/vcenter';
import {
  vmOrderingScope,
  vsphereEventParser,
  type VSphereEvent,
} from '@veba-functions/vsphere-events';
import { config, secretVariables, sensitiveKeys } from './config.js';
import { handle, type State } from './handler.js';

/** The event classes of a power-on: a DRS cluster sends the first, anything else the second. */
export const POWER_ON = ['DrsVmPoweredOnEvent', 'VmPoweredOnEvent'];

/**
 * vm-tag-on-power-on: attaches a configured vSphere tag to every VM that powers on. Each call
 * returns a fresh definition (its own guards, store and vCenter session), so a test can run two
 * instances side by side; importing this module starts nothing.
 *
 * @example
 * await serve(createVmTagOnPowerOn());
 */
export function createVmTagOnPowerOn() {
  // First guard (`tagging.arrivals`): announces each power-on as it arrives, so a batch about to
  // go out waits for the power-ons of a burst still in their Redis round trips (a lone one never
  // waits).
  const tagging = createTagFunction<VSphereEvent>();
  return defineFunction({
    name: 'vm-tag-on-power-on',
    config,
    secretVariables,
    sensitiveKeys,
    // Parsed once per delivery; the guards and the handler get the same VSphereEvent, and any
    // other class is answered 200 "skipped" before its data is read.
    parse: vsphereEventParser({ classes: POWER_ON }),
    guards: [
      tagging.arrivals,
      ...createStateGuards<VSphereEvent>({
        // The tag resolved in init is part of the identity, so two deployments attaching
        // different tags and sharing one Redis do not take each other's events for duplicates.
        dedupe: { identity: (event) => tagging.identity(defaultIdentity(event)) },
        // One VM of one vCenter: a late power-on never re-tags after a newer one was handled, and
        // power-ons of different VMs never hold each other up.
        ordering: { policy: 'skip', scope: vmOrderingScope },
      }),
    ],

    async init({ config: c, logger, metrics }): Promise<State> {
      const { state, tag } = await tagging.init(
        c,
        { logger, metrics },
        { action: 'attach', target: tagTargetOptionsFromConfig(c) },
      );
      logger.info(
        {
          tag: tag.name,
          tagId: tag.id,
          category: c.VCENTER_TAG_CATEGORY,
          flavour: state.vcenter.flavour,
        },
        `tag ${tag.name} resolved to ${tag.id}: attaching it to every VM that powers on`,
      );
      return state;
    },

    handle,

    shutdown: tagging.shutdown,
  });
}
