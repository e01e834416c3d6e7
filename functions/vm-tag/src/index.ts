import { defineFunction } from '@veba-functions/runtime';
import { createStateGuards, defaultIdentity } from '@veba-functions/state';
import { createTagFunction } from '@veba-functions/vcenter';
import {
  vmOrderingScope,
  vsphereEventParser,
  type VSphereEvent,
} from '@veba-functions/vsphere-events';
import { config, secretVariables, sensitiveKeys, tagSettings } from './config.js';
import { handle, namesVm, type State } from './handler.js';

/**
 * vm-tag: attaches or detaches one configured vSphere tag on the VM of any event its Triggers
 * select (untag on power-off, tag on migrate, ...). Each call returns a fresh definition (its own
 * guards, store and vCenter session); importing this module starts nothing.
 *
 * @example
 * await serve(createVmTag());
 */
export function createVmTag() {
  // The first guard (`tagging.arrivals`) announces the apply of every event naming a VM.
  const tagging = createTagFunction<VSphereEvent>({ announces: namesVm });
  return defineFunction({
    // Also the dedupe and ordering namespace: every vm-tag deployment sharing a Redis shares it.
    name: 'vm-tag',
    config,
    secretVariables,
    sensitiveKeys,
    // Any vSphere event (the Triggers choose the types), parsed once per delivery.
    parse: vsphereEventParser(),
    guards: [
      tagging.arrivals,
      ...createStateGuards<VSphereEvent>({
        // The same event may reach two deployments (say, one attaching tag A, one detaching
        // tag B): each must do its own work, so the action and the tag are part of the identity.
        dedupe: {
          identity: (event) => tagging.identity(defaultIdentity(event), { withAction: true }),
        },
        // One VM of one vCenter and one tag, whatever the action: a deployment attaching the tag
        // and one detaching it share the mark, so a late power-on is skipped after a newer
        // power-off's detach. Other tags (other deployments) are ordered on their own.
        ordering: {
          policy: 'skip',
          scope(event) {
            const vm = vmOrderingScope(event);
            const tagId = tagging.tagId();
            return vm === undefined || tagId === undefined ? undefined : `${vm}|${tagId}`;
          },
        },
      }),
    ],

    async init({ config: c, logger, metrics }): Promise<State> {
      const settings = tagSettings(c);
      const { state, tag } = await tagging.init(c, { logger, metrics }, settings);
      const { action } = settings;
      logger.info(
        { tag: tag.name, tagId: tag.id, action, category: c.VCENTER_TAG_CATEGORY },
        `tag ${tag.name} resolved to ${tag.id}: ${action === 'attach' ? 'attaching it to' : 'detaching it from'} the VM of every event`,
      );
      return state;
    },

    handle,

    shutdown: tagging.shutdown,
  });
}
