import { defineFunction } from '@veba-functions/runtime';
import { createStateGuards, defaultIdentity } from '@veba-functions/state';
import {
  createArrivalGuard,
  createTagAssociations,
  createTagTarget,
  createVCenterClient,
  tagBatchOptionsFromConfig,
  vcenterOptionsFromConfig,
  type TagAction,
  type TagTarget,
} from '@veba-functions/vcenter';
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
  // Resolved in init; the dedupe identity and the ordering scope include them (see below).
  let target: TagTarget | undefined;
  let action: TagAction = 'attach';
  const arrivals = createArrivalGuard<VSphereEvent>((event) =>
    namesVm(event) ? target?.announce(action) : undefined,
  );
  return defineFunction({
    // Also the dedupe and ordering namespace: every vm-tag deployment sharing a Redis shares it.
    name: 'vm-tag',
    config,
    secretVariables,
    sensitiveKeys,
    // Any vSphere event (the Triggers choose the types), parsed once per delivery.
    parse: vsphereEventParser(),
    guards: [
      arrivals,
      ...createStateGuards<VSphereEvent>({
        // The same event may reach two deployments (say, one attaching tag A, one detaching
        // tag B): each must do its own work, so the action and the tag are part of the identity.
        dedupe: {
          identity(event) {
            const identity = defaultIdentity(event);
            return (
              identity && {
                source: identity.source,
                id: `${identity.id}|${action}|${target?.current().id}`,
              }
            );
          },
        },
        // One VM of one vCenter and one tag, whatever the action: a deployment attaching the tag
        // and one detaching it share the mark, so a late power-on is skipped after a newer
        // power-off's detach. Other tags (other deployments) are ordered on their own.
        ordering: {
          policy: 'skip',
          scope(event) {
            const vm = vmOrderingScope(event);
            return vm === undefined || target === undefined
              ? undefined
              : `${vm}|${target.current().id}`;
          },
        },
      }),
    ],

    async init({ config: c, logger, metrics }): Promise<State> {
      const settings = tagSettings(c);
      action = settings.action;
      const vcenter = createVCenterClient(vcenterOptionsFromConfig(c, { logger, metrics }));
      try {
        await vcenter.connect();
        const associations = createTagAssociations(vcenter.tagging, {
          ...tagBatchOptionsFromConfig(c),
          metrics,
        });
        target = createTagTarget(vcenter.tagging, associations, settings.target);
        const tag = await target.init();
        logger.info(
          { tag: tag.name, tagId: tag.id, action, category: c.VCENTER_TAG_CATEGORY },
          `tag ${tag.name} resolved to ${tag.id}: ${action === 'attach' ? 'attaching it to' : 'detaching it from'} the VM of every event`,
        );
        return { vcenter, associations, target, action, arrivalOf: arrivals.arrivalOf };
      } catch (error) {
        await vcenter.close().catch(() => undefined);
        throw error;
      }
    },

    handle,

    async shutdown({ state }) {
      await state.associations.close();
      await state.vcenter.close();
    },
  });
}
