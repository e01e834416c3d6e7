/**
 * Which tags are on a VM, for many concurrent events: one group commit over
 * `list-attached-tags-on-objects`, so a burst reads the tags of its VMs in a few calls, and tag
 * ids resolved through the client's by-id cache (a tag id never changes its name's category).
 */
import type { Tag } from './adapter.js';
import { createGroupCommit, type Arrival, type CommitOutcome } from './group-commit.js';
import type { Tagging } from './tagging.js';

export interface AttachedTagsOptions {
  /** Most VMs in one call. Default 100. */
  maxBatchSize?: number;
  /** Longest a batch waits for announced events on their way. Default 20 ms. */
  lingerMs?: number;
}

export interface AttachedTags {
  /**
   * The tags on `vmId` (a tag deleted meanwhile is left out). Rejects with the call's
   * `VCenterError` (map it with `toRuntimeError`).
   */
  of(
    vmId: string,
    options?: { signal?: AbortSignal; arrival?: Arrival | undefined },
  ): Promise<Tag[]>;
  /** Announces an event that will ask soon (see `GroupCommit.announce`). */
  announce(): Arrival;
  close(): Promise<void>;
}

/**
 * Creates the batched reader.
 *
 * @example
 * const attached = createAttachedTags(vcenter.tagging);
 * const owners = (await attached.of('vm-42', { signal })).filter((t) => t.categoryId === owner.id);
 */
export function createAttachedTags(
  tagging: Pick<Tagging, 'listAttachedTagsOnVms' | 'getTag'>,
  options: AttachedTagsOptions = {},
): AttachedTags {
  const reads = createGroupCommit<string[]>({
    maxBatchSize: options.maxBatchSize,
    lingerMs: options.lingerMs,
    async commit(vmIds, signal) {
      const found = await tagging.listAttachedTagsOnVms(vmIds, { signal });
      return new Map<string, CommitOutcome<string[]>>(
        vmIds.map((vm) => [vm, { ok: true, value: found.get(vm) ?? [] }]),
      );
    },
  });
  return {
    async of(vmId, call = {}) {
      const ids = await reads.submit(vmId, call.signal, call.arrival);
      const tags = await Promise.all(ids.map((id) => tagging.getTag(id, { signal: call.signal })));
      return tags.filter((tag): tag is Tag => tag !== undefined);
    },
    announce: () => reads.announce(),
    close: () => reads.close(),
  };
}
