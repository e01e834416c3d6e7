import { defineFunction } from '@veba-functions/runtime';
import { createStateGuards } from '@veba-functions/state';
import {
  createArrivalGuard,
  createAttachedTags,
  createTagAssociations,
  openVCenter,
  type AttachedTags,
} from '@veba-functions/vcenter';
import {
  vmOrderingScope,
  vsphereEventParser,
  type VSphereEvent,
} from '@veba-functions/vsphere-events';
import { config, secretVariables, sensitiveKeys } from './config.js';
import { handle, type State } from './handler.js';

/**
 * The events that bring a new VM, each with the new VM in `Vm` and its maker in `UserName`. Not
 * `VmBeingClonedEvent`: its `Vm` is the source VM, and its owner is not the clone's.
 */
export const NEW_VM_EVENTS = ['VmCreatedEvent', 'VmClonedEvent', 'VmDeployedEvent'];

/**
 * vm-owner-tag: tags each new VM with its owner, the user who created, cloned or deployed it.
 * Each call returns a fresh definition; importing this module starts nothing.
 *
 * @example
 * await serve(createVmOwnerTag());
 */
export function createVmOwnerTag() {
  let attached: AttachedTags | undefined;
  // First guard: announces each new VM as it arrives, so the read of a burst's tags waits for the
  // events still in their Redis round trips (a lone event never waits).
  const arrivals = createArrivalGuard<VSphereEvent>((event) =>
    event.entity('Vm') === undefined ? undefined : attached?.announce(),
  );
  return defineFunction({
    name: 'vm-owner-tag',
    config,
    secretVariables,
    sensitiveKeys,
    parse: vsphereEventParser({ classes: NEW_VM_EVENTS }),
    guards: [
      arrivals,
      // A clone brings VmCreatedEvent and VmClonedEvent for the same VM and user: per VM, the
      // older one arriving after the newer one is stale.
      ...createStateGuards<VSphereEvent>({
        dedupe: true,
        ordering: { policy: 'skip', scope: vmOrderingScope },
      }),
    ],

    async init({ config: c, logger, metrics }): Promise<State> {
      return openVCenter(c, { logger, metrics }, async (vcenter): Promise<State> => {
        const ownerTagOptions = {
          create: true,
          cardinality: 'SINGLE' as const,
          associableTypes: ['VirtualMachine'],
        };
        const category = await vcenter.tagging.ensureCategory(c.OWNER_TAG_CATEGORY, {
          ...ownerTagOptions,
          description: 'Who created, cloned or deployed the VM (vm-owner-tag)',
        });
        if (
          category.associableTypes.length > 0 &&
          !category.associableTypes.includes('VirtualMachine')
        ) {
          logger.warn(
            { category: category.name, associableTypes: category.associableTypes },
            `category ${category.name} is not associable with VirtualMachine: vCenter will refuse its tags on VMs`,
          );
        }
        const associations = createTagAssociations(vcenter.tagging, { metrics });
        attached = createAttachedTags(vcenter.tagging);
        logger.info(
          { category: category.name, categoryId: category.id, cardinality: category.cardinality },
          `recording the owner of every new VM in category ${category.name}`,
        );
        return {
          vcenter,
          category,
          associations,
          attached,
          ownerTag: (name) =>
            vcenter.tagging.ensureTag(c.OWNER_TAG_CATEGORY, name, {
              ...ownerTagOptions,
              description: 'VM owner (vm-owner-tag)',
            }),
          arrivalOf: arrivals.arrivalOf,
        };
      });
    },

    handle,

    async shutdown({ state }) {
      await Promise.all([state.associations.close(), state.attached.close()]);
      await state.vcenter.close();
    },
  });
}
