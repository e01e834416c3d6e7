/**
 * Holds the id of the configured tag: resolved once in init, re-resolved only when vCenter
 * says the cached id is gone (so the steady state makes no tag lookups).
 */

/** The tag every powered-on VM gets. */
export interface TagRef {
  id: string;
  name: string;
}

export interface TagResolverOptions {
  /** Looks the tag up in vCenter (by name, in the configured category if any); undefined when absent. */
  find: () => Promise<TagRef | undefined>;
  /** Creates the tag (and its category); present only when creation is allowed. */
  create?: () => Promise<TagRef>;
  /** Names the tag in error messages, e.g. `"PoweredOn" in category "Lifecycle"`. */
  describe: string;
}

export interface TagResolver {
  /** Resolves the tag for the first time; throws TagNotConfiguredError when it is missing and creation is off. */
  init(): Promise<TagRef>;
  /** The cached tag; throws if init() has not succeeded. */
  current(): TagRef;
  /**
   * Called when vCenter reported `staleId` missing: looks the tag up again (once for all
   * concurrent callers) and returns the new tag, or undefined when it still does not exist.
   */
  refresh(staleId: string): Promise<TagRef | undefined>;
}

/** The configured tag cannot be found in vCenter. */
export class TagNotConfiguredError extends Error {
  override readonly name = 'TagNotConfiguredError';
}

/**
 * Creates a resolver over lookup/creation functions.
 *
 * @example
 * const tags = createTagResolver({ find: () => tagging.findTag(...), describe: '"PoweredOn"' });
 * await tags.init();
 * tags.current().id; // no vCenter call
 */
export function createTagResolver(options: TagResolverOptions): TagResolver {
  let tag: TagRef | undefined;
  let refreshing: Promise<TagRef | undefined> | undefined;

  async function lookup(): Promise<TagRef | undefined> {
    const found = await options.find();
    if (found !== undefined) return found;
    return options.create ? options.create() : undefined;
  }

  return {
    async init() {
      const found = await lookup();
      if (found === undefined) {
        throw new TagNotConfiguredError(
          `tag ${options.describe} does not exist in vCenter: create it, or set VCENTER_TAG_CREATE_IF_MISSING=true (with VCENTER_TAG_CATEGORY) to let the function create it`,
        );
      }
      tag = found;
      return found;
    },
    current() {
      if (tag === undefined) throw new Error('tag resolver used before init()');
      return tag;
    },
    refresh(staleId) {
      // Another caller already replaced the stale id: no lookup needed.
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
    },
  };
}
