import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Histogram } from 'prom-client';
import { z } from 'zod';
import { type CloudEvent, booleanFromEnv, defineFunction, serve } from '@veba-functions/runtime';
import { createStateGuards } from '@veba-functions/state';
import {
  type VCenterClient,
  createVCenterClient,
  vcenterConfig,
  vcenterOptionsFromConfig,
} from '@veba-functions/vcenter';
import { parseVSphereEvent } from '@veba-functions/vsphere-events';
import { type AttachBatcher, createAttachBatcher } from './attach-batcher.js';
import { handlePowerOn } from './handler.js';
import { createTagLookup } from './tag-lookup.js';
import { type TagResolver, createTagResolver } from './tag-resolver.js';
import { createVCenterAttachMany } from './vcenter-attach.js';

export { POWER_ON_EVENT_CLASSES, handlePowerOn } from './handler.js';
export type { PowerOnDeps, PowerOnResult } from './handler.js';
export { createAttachBatcher, MissingAttachResultError } from './attach-batcher.js';
export type {
  AttachBatcher,
  AttachBatcherOptions,
  AttachMany,
  AttachOutcome,
} from './attach-batcher.js';
export { createTagResolver, TagNotConfiguredError } from './tag-resolver.js';
export type { TagRef, TagResolver } from './tag-resolver.js';
export { TagMissingError, VmAttachRejectedError } from './errors.js';

/** An unset or empty variable reads as absent. */
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/** The function's own keys, on top of the vCenter keys (`vcenterConfig`). */
export const vmTagConfig = {
  ...vcenterConfig,
  /** The tag to attach (VEBA's TAG_SECRET key). */
  VCENTER_TAG_NAME: z.string().trim().min(1),
  /** The tag's category; when unset, the tag is found by name in any category (an ambiguous name fails init). */
  VCENTER_TAG_CATEGORY: optionalText,
  /** Create the tag (and its category) in init when missing. Default false. */
  VCENTER_TAG_CREATE_IF_MISSING: booleanFromEnv().default(false),
  /** Quiet period closing a burst: power-ons until then share one vCenter call; 0 = no batching. */
  VCENTER_TAG_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(10_000).default(100),
  /** Longest a power-on waits for its batch while a burst goes on. */
  VCENTER_TAG_BATCH_MAX_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(1_000),
  /** Most VMs in one attach-tag-to-multiple-objects call. */
  VCENTER_TAG_BATCH_MAX: z.coerce.number().int().min(1).max(1_000).default(100),
};

/** What init keeps warm for the handler. */
export interface VmTagState {
  vcenter: VCenterClient;
  tags: TagResolver;
  /** Attaches a tag to a VM through the burst batcher of that tag. */
  attach: (tagId: string, vmId: string, signal?: AbortSignal) => Promise<void>;
  /** Sends pending batches and waits for those in flight. */
  drain: () => Promise<void>;
}

/**
 * The ordering scope: one VM of one vCenter (vCenter event keys grow per vCenter, and vm-42 in
 * two vCenters are two VMs). Events without a usable VM pass unchecked; the handler rejects them.
 */
export function vmOrderingScope(event: CloudEvent<unknown>): string | undefined {
  try {
    const vm = parseVSphereEvent(event).entity('Vm');
    return vm === undefined ? undefined : `${event.source}|${vm.moref}`;
  } catch {
    return undefined;
  }
}

/**
 * Builds the function definition. Each call has its own guards (and so its own Redis
 * connection), which lets a test run two instances in one process.
 *
 * @example
 * await startFunction(createVmTagOnPowerOn(), { env: { VCENTER_SERVER: ..., VCENTER_TAG_NAME: 'powered-on' } });
 */
export function createVmTagOnPowerOn() {
  return defineFunction({
    name: 'vm-tag-on-power-on',
    config: vmTagConfig,
    // VCENTER_SECRET: the shared vCenter secret; TAG_SECRET: VEBA's kn-pcli-tag secret, unchanged.
    secretVariables: ['VCENTER_SECRET', 'TAG_SECRET'],
    guards: createStateGuards({
      dedupe: true,
      ordering: { policy: 'skip', scope: vmOrderingScope },
    }),

    async init({ config, logger, metrics }): Promise<VmTagState> {
      const vcenter = createVCenterClient(vcenterOptionsFromConfig(config, { logger, metrics }));
      let tags: TagResolver;
      try {
        await vcenter.connect();
        tags = createTagResolver(
          createTagLookup(vcenter.tagging, {
            tagName: config.VCENTER_TAG_NAME,
            category: config.VCENTER_TAG_CATEGORY,
            createIfMissing:
              config.VCENTER_TAG_CREATE_IF_MISSING || config.VCENTER_CREATE_MISSING_TAGS,
          }),
        );
        const tag = await tags.init();
        logger.info(
          {
            tag: tag.name,
            tagId: tag.id,
            category: config.VCENTER_TAG_CATEGORY,
            flavour: vcenter.flavour,
          },
          `tag ${tag.name} resolved to ${tag.id}: attaching it to every VM that powers on`,
        );
      } catch (error) {
        await vcenter.close().catch(() => undefined);
        throw error;
      }

      const batchSize = new Histogram({
        name: 'veba_vm_tag_attach_batch_size',
        help: 'VMs per attach-tag-to-multiple-objects call',
        buckets: [1, 2, 5, 10, 20, 50, 100, 200],
        registers: [metrics],
      });
      const batchers = new Map<string, AttachBatcher>();
      const batcherFor = (tagId: string): AttachBatcher => {
        let batcher = batchers.get(tagId);
        if (batcher === undefined) {
          batcher = createAttachBatcher({
            attachMany: createVCenterAttachMany(vcenter.tagging, tagId),
            windowMs: config.VCENTER_TAG_BATCH_WINDOW_MS,
            maxWaitMs: config.VCENTER_TAG_BATCH_MAX_WAIT_MS,
            maxBatchSize: config.VCENTER_TAG_BATCH_MAX,
            onBatch: (size) => batchSize.observe(size),
          });
          batchers.set(tagId, batcher);
        }
        return batcher;
      };

      return {
        vcenter,
        tags,
        attach: (tagId, vmId, signal) => batcherFor(tagId).attach(vmId, signal),
        drain: async () => {
          await Promise.all([...batchers.values()].map((b) => b.close()));
        },
      };
    },

    handle(event, ctx) {
      return handlePowerOn(event, {
        attach: ctx.state.attach,
        tags: ctx.state.tags,
        logger: ctx.logger,
        signal: ctx.signal,
      });
    },

    async shutdown({ state }) {
      await state.drain();
      await state.vcenter.close();
    },
  });
}

/** The function as the container runs it. */
export const vmTagOnPowerOn = createVmTagOnPowerOn();

// Started as the container's command (`node dist/index.js`); importing the module for tests does not serve.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  await serve(vmTagOnPowerOn);
}
