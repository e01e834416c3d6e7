/**
 * The one configured tag of a tagging function: resolved to its id once (in `init`), looked up
 * again only when vCenter says the id is gone, and applied to a VM through the batched
 * associations. The steady state makes no tag lookups.
 */
import type { Logger } from 'pino';
import { VCenterError } from './errors.js';
import type { Arrival } from './group-commit.js';
import { isTagGone, type TagAction, type TagAssociations } from './tag-associations.js';
import type { Tagging } from './tagging.js';

/** The tag a function attaches or detaches. */
export interface TagRef {
  id: string;
  name: string;
}

export interface TagTargetOptions {
  tagName: string;
  /** The tag's category; without it the tag is found by name in any category (one walk). */
  category: string | undefined;
  /** Create the tag (and its category) when missing; needs `category`. */
  createIfMissing: boolean;
}

/** What applying the tag did. */
export interface AppliedTag {
  tag: TagRef;
  /**
   * False only for a detach when the tag no longer exists in vCenter at all: then it is on no
   * VM, and there was nothing to detach.
   */
  tagExists: boolean;
}

export interface ApplyOptions {
  signal?: AbortSignal;
  /** The event's announcement from `announce`, if it made one. */
  arrival?: Arrival | undefined;
  /** The event's logger, for the tag-gone warnings. */
  logger?: Pick<Logger, 'warn' | 'error' | 'info'>;
}

export interface TagTarget {
  /** Resolves the tag (creating it when allowed); a missing or ambiguous tag throws `VCenterError`. */
  init(): Promise<TagRef>;
  /** The resolved tag; throws before `init` succeeded. */
  current(): TagRef;
  /**
   * `vmId` gets (or loses) the tag. When vCenter says the tag is gone, it is looked up once more
   * (once for all concurrent events) and the action retried with the new id: a tag recreated
   * under the same name keeps working. Rejects with `VCenterError` (map it with `toRuntimeError`).
   */
  apply(action: TagAction, vmId: string, options?: ApplyOptions): Promise<AppliedTag>;
  /** Announces an event that will `apply` this action soon (see `TagAssociations.announce`). */
  announce(action: TagAction): Arrival;
}

type TaggingForTarget = Pick<Tagging, 'findTag' | 'ensureTag' | 'findTagsByName'>;

/**
 * Creates the target for one configured tag.
 *
 * @example
 * const target = createTagTarget(vcenter.tagging, associations, { tagName: 'powered-on', category: undefined, createIfMissing: false });
 * await target.init(); // in init: a missing tag fails start-up
 * await target.apply('attach', 'vm-42', { signal: ctx.signal, logger: ctx.logger });
 */
export function createTagTarget(
  tagging: TaggingForTarget,
  associations: Pick<TagAssociations, 'apply' | 'announce'>,
  options: TagTargetOptions,
): TagTarget {
  const { tagName, category } = options;
  if (options.createIfMissing && category === undefined) {
    throw new VCenterError(
      'VCENTER_TAG_CREATE_IF_MISSING=true needs VCENTER_TAG_CATEGORY: the category to create the tag in',
      { type: 'INVALID_OPTIONS', retryable: false },
    );
  }
  const described =
    category === undefined
      ? `"${tagName}" (in any category)`
      : `"${tagName}" in category "${category}"`;
  let tag: TagRef | undefined;
  let refreshing: Promise<TagRef | undefined> | undefined;

  async function lookup(): Promise<TagRef | undefined> {
    if (category !== undefined) {
      const found = options.createIfMissing
        ? await tagging.ensureTag(category, tagName, { create: true })
        : await tagging.findTag(category, tagName);
      return found === undefined ? undefined : { id: found.id, name: found.name };
    }
    // vCenter has no search by tag name: one walk over every category and tag, in init and again
    // only when vCenter says the resolved id is gone.
    const found = await tagging.findTagsByName(tagName);
    if (found.length > 1) {
      const names = found.map((t) => `"${t.categoryName}"`).join(', ');
      throw new VCenterError(
        `tag name "${tagName}" exists in ${found.length} categories (${names}): set VCENTER_TAG_CATEGORY to say which`,
        { type: 'TAG_AMBIGUOUS', retryable: false },
      );
    }
    return found[0] === undefined ? undefined : { id: found[0].id, name: found[0].name };
  }

  /** Once for all concurrent callers; a caller whose stale id was replaced already gets the new tag. */
  function refresh(staleId: string): Promise<TagRef | undefined> {
    if (tag !== undefined && tag.id !== staleId) return Promise.resolve(tag);
    refreshing ??= lookup()
      .then((found) => {
        if (found !== undefined) tag = found;
        return found;
      })
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  }

  function current(): TagRef {
    if (tag === undefined) throw new Error('tag target used before init()');
    return tag;
  }

  return {
    async init() {
      const found = await lookup();
      if (found === undefined) {
        throw new VCenterError(
          `tag ${described} does not exist in vCenter: create it, or set VCENTER_TAG_CREATE_IF_MISSING=true (with VCENTER_TAG_CATEGORY) to let the function create it`,
          { type: 'TAG_NOT_FOUND', retryable: false },
        );
      }
      tag = found;
      return found;
    },
    current,
    announce(action) {
      return associations.announce(action, current().id);
    },
    async apply(action, vmId, applyOptions = {}) {
      const { signal, logger, arrival } = applyOptions;
      const stale = current();
      try {
        await associations.apply(action, stale.id, vmId, { signal, arrival });
        return { tag: stale, tagExists: true };
      } catch (error) {
        if (!isTagGone(error)) throw error;
      }
      logger?.warn(
        { tag: stale.name, tagId: stale.id },
        `tag ${stale.name} (${stale.id}) is gone from vCenter: looking it up again`,
      );
      const fresh = await refresh(stale.id);
      if (fresh === undefined) {
        if (action === 'detach') {
          logger?.info(
            { tag: stale.name, vm: vmId },
            `tag ${stale.name} no longer exists in vCenter: nothing to detach from ${vmId}`,
          );
          return { tag: stale, tagExists: false };
        }
        const message = `tag ${stale.name} no longer exists in vCenter: recreate it, or set VCENTER_TAG_CREATE_IF_MISSING=true`;
        logger?.error({ tag: stale.name, tagId: stale.id }, message);
        throw new VCenterError(message, { type: 'TAG_NOT_FOUND', retryable: false });
      }
      try {
        await associations.apply(action, fresh.id, vmId, { signal });
        return { tag: fresh, tagExists: true };
      } catch (error) {
        if (!isTagGone(error)) throw error;
        // Deleted again between the lookup and the call: the broker's retry looks it up once more.
        throw new VCenterError(`tag ${fresh.name} vanished again while tagging ${vmId}`, {
          type: 'TAG_NOT_FOUND',
          retryable: true,
          cause: error,
        });
      }
    },
  };
}
