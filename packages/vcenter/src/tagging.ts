/**
 * Tagging over either flavour. Names are resolved to ids once and cached (tag names are unique
 * only within a category, so a tag is always looked up inside its category); a NOT_FOUND answer
 * for a cached id drops it, so the next lookup asks vCenter again. VMs are addressed by the
 * moref the event already carries (`data.Vm.Vm.Value`, e.g. `vm-42`): no lookup by name.
 */
import type { ObjectId, Tag, TagCategory, VapiMessage } from './adapter.js';
import { VCenterError } from './errors.js';
import type { CallOptions, SessionCaller } from './session.js';

/** Per-VM outcome of `attachToMany`. */
export interface AttachResult {
  vmId: string;
  /**
   * `attached`: vCenter reported no error for it. `failed`: an error message names it.
   * `unknown`: the batch failed and some message names no object, so this VM may have failed.
   */
  status: 'attached' | 'failed' | 'unknown';
  /** vCenter's messages that concern this VM (for `unknown`: the unattributed ones). */
  messages: string[];
}

export interface AttachManyResult {
  /** vCenter's verdict for the whole batch. */
  success: boolean;
  results: AttachResult[];
  /** Every error message of the batch. */
  messages: string[];
}

/** Per-VM outcome of `detachFromMany` (as {@link AttachResult}, with `detached`). */
export interface DetachResult {
  vmId: string;
  status: 'detached' | 'failed' | 'unknown';
  messages: string[];
}

export interface DetachManyResult {
  success: boolean;
  results: DetachResult[];
  messages: string[];
}

export interface EnsureTagOptions extends CallOptions {
  /** Create the category and/or tag when missing (default: the client's `createMissingTags`). */
  create?: boolean;
  /** For a new category (default `MULTIPLE`: a VM may carry several tags of it). */
  cardinality?: 'SINGLE' | 'MULTIPLE';
  /** For a new category (default `['VirtualMachine']`). */
  associableTypes?: string[];
  description?: string;
}

export interface Tagging {
  /** The category with this name, or undefined. Cached after the first hit. */
  findCategory(name: string, options?: CallOptions): Promise<TagCategory | undefined>;
  /** The tag with this name inside the named category, or undefined. Cached after the first hit. */
  findTag(categoryName: string, tagName: string, options?: CallOptions): Promise<Tag | undefined>;
  /**
   * Every tag with this name, in any category (names are unique only within a category), for a
   * caller configured with a tag name alone (VEBA's PowerCLI secrets), each with its category's
   * name so an ambiguous name can be reported in words an operator knows. Walks all categories
   * and their tags (1 + categories + tags requests, at most 8 at a time); not cached (call it
   * once, e.g. in init).
   *
   * @example
   * const found = await client.tagging.findTagsByName('powered-on');
   * if (found.length > 1) throw new Error(`in ${found.map((t) => t.categoryName).join(', ')}`);
   */
  findTagsByName(tagName: string, options?: CallOptions): Promise<TagMatch[]>;
  /**
   * The tag, created (with its category) when missing and creation is allowed; otherwise a
   * VCenterError of type `TAG_NOT_FOUND` (not retryable: a configuration problem).
   */
  ensureTag(categoryName: string, tagName: string, options?: EnsureTagOptions): Promise<Tag>;
  /**
   * The category, created when missing and creation is allowed (another replica creating it at
   * the same moment is fine: `ALREADY_EXISTS` is not an error); otherwise `TAG_NOT_FOUND`.
   */
  ensureCategory(categoryName: string, options?: EnsureTagOptions): Promise<TagCategory>;
  /** The tag with this id (cached: a tag id never moves to another category), or undefined. */
  getTag(tagId: string, options?: CallOptions): Promise<Tag | undefined>;
  /** Attaches the tag to the VM (a no-op when already attached). */
  attach(tagId: string, vmId: string, options?: CallOptions): Promise<void>;
  /** One `attach-tag-to-multiple-objects` call; reads per-VM errors from the 200 answer. */
  attachToMany(
    tagId: string,
    vmIds: readonly string[],
    options?: CallOptions,
  ): Promise<AttachManyResult>;
  /** Detaches the tag from the VM (a no-op when it is not attached). */
  detach(tagId: string, vmId: string, options?: CallOptions): Promise<void>;
  /**
   * One `detach-tag-from-multiple-objects` call; reads per-VM errors from the 200 answer.
   * `undefined` when the server does not have the operation (it answered 2xx without a
   * BatchResult, as vcsim 0.24.2 does): nothing was detached, use `detach` per VM.
   */
  detachFromMany(
    tagId: string,
    vmIds: readonly string[],
    options?: CallOptions,
  ): Promise<DetachManyResult | undefined>;
  /** Ids of the tags attached to the VM. */
  listAttachedTags(vmId: string, options?: CallOptions): Promise<string[]>;
  /** The tags of several VMs in one `list-attached-tags-on-objects` call (every VM asked is in the map). */
  listAttachedTagsOnVms(
    vmIds: readonly string[],
    options?: CallOptions,
  ): Promise<Map<string, string[]>>;
  /** Drops every cached name -> id mapping. */
  clearCache(): void;
}

/** A tag found by name alone, with the name of its category. */
export interface TagMatch extends Tag {
  categoryName: string;
}

export interface TaggingOptions {
  createMissingTags: boolean;
}

/** How many GETs a name lookup runs at once (lists can be long; vCenter has no name filter). */
const LOOKUP_CONCURRENCY = 8;

export function createTagging(caller: SessionCaller, options: TaggingOptions): Tagging {
  const categories = new Map<string, TagCategory>();
  const tags = new Map<string, Tag>();
  // Every tag fetched by id, so a walk through a category GETs only the tags it has not seen.
  const tagsById = new Map<string, Tag>();
  const inflight = new Map<string, Promise<unknown>>();
  const tagKey = (categoryName: string, tagName: string): string =>
    `${categoryName}\u0000${tagName}`;

  /** Concurrent lookups of the same name share one walk through vCenter. */
  function once<T>(key: string, run: () => Promise<T>): Promise<T> {
    const running = inflight.get(key) as Promise<T> | undefined;
    if (running !== undefined) return running;
    const started = run().finally(() => inflight.delete(key));
    inflight.set(key, started);
    return started;
  }

  function forgetTag(id: string): void {
    tagsById.delete(id);
    for (const [key, tag] of tags) if (tag.id === id) tags.delete(key);
  }

  function forgetCategory(id: string): void {
    for (const [name, category] of categories) if (category.id === id) categories.delete(name);
    for (const [key, tag] of tags) if (tag.categoryId === id) tags.delete(key);
    for (const [tagId, tag] of tagsById) if (tag.categoryId === id) tagsById.delete(tagId);
  }

  /** GET /tag/{id} through the by-id cache; a tag that vanished reads as undefined. */
  async function fetchTag(id: string, callOptions?: CallOptions): Promise<Tag | undefined> {
    const cached = tagsById.get(id);
    if (cached !== undefined) return cached;
    const tag = await caller.call((a) => a.getTag(id), callOptions).catch(skipNotFound);
    if (tag !== undefined) tagsById.set(tag.id, tag);
    return tag;
  }

  /** GETs the ids in small parallel batches until `match` is found; ids that vanished meanwhile are skipped. */
  async function scan<T>(
    ids: string[],
    get: (id: string) => Promise<T | undefined>,
    seen: (item: T) => boolean,
  ): Promise<T | undefined> {
    for (let i = 0; i < ids.length; i += LOOKUP_CONCURRENCY) {
      const batch = await Promise.all(
        ids.slice(i, i + LOOKUP_CONCURRENCY).map((id) => get(id).catch(skipNotFound)),
      );
      let found: T | undefined;
      for (const item of batch) if (item !== undefined && seen(item)) found ??= item;
      if (found !== undefined) return found;
    }
    return undefined;
  }

  async function findCategory(
    name: string,
    callOptions?: CallOptions,
  ): Promise<TagCategory | undefined> {
    requireText(name, 'category name');
    const cached = categories.get(name);
    if (cached !== undefined) return cached;
    return once(`category\u0000${name}`, async () => {
      const ids = await caller.call((a) => a.listCategories(), callOptions);
      return scan(
        ids,
        (id) => caller.call((a) => a.getCategory(id), callOptions),
        (category) => {
          categories.set(category.name, category);
          return category.name === name;
        },
      );
    });
  }

  async function findTag(
    categoryName: string,
    tagName: string,
    callOptions?: CallOptions,
  ): Promise<Tag | undefined> {
    requireText(categoryName, 'category name');
    requireText(tagName, 'tag name');
    const cached = tags.get(tagKey(categoryName, tagName));
    if (cached !== undefined) return cached;
    return once(`tag\u0000${tagKey(categoryName, tagName)}`, async () => {
      // Two rounds: a cached category id may have been deleted (and the category recreated).
      for (let round = 0; round < 2; round += 1) {
        const category = await findCategory(categoryName, callOptions);
        if (category === undefined) return undefined;
        let ids: string[];
        try {
          ids = await caller.call((a) => a.listTagsForCategory(category.id), callOptions);
        } catch (error) {
          if (!isNotFound(error)) throw error;
          forgetCategory(category.id);
          continue;
        }
        return scan(
          ids,
          (id) => fetchTag(id, callOptions),
          (tag) => {
            if (tag.categoryId === category.id) tags.set(tagKey(categoryName, tag.name), tag);
            return tag.name === tagName && tag.categoryId === category.id;
          },
        );
      }
      return undefined;
    });
  }

  async function findTagsByName(tagName: string, callOptions?: CallOptions): Promise<TagMatch[]> {
    requireText(tagName, 'tag name');
    const categoryIds = await caller.call((a) => a.listCategories(), callOptions);
    const found: Tag[] = [];
    for (let i = 0; i < categoryIds.length; i += LOOKUP_CONCURRENCY) {
      const lists = await Promise.all(
        categoryIds
          .slice(i, i + LOOKUP_CONCURRENCY)
          .map((id) =>
            caller.call((a) => a.listTagsForCategory(id), callOptions).catch(skipNotFound),
          ),
      );
      const tagIds = lists.flatMap((ids) => ids ?? []);
      for (let j = 0; j < tagIds.length; j += LOOKUP_CONCURRENCY) {
        const batch = await Promise.all(
          tagIds
            .slice(j, j + LOOKUP_CONCURRENCY)
            .map((id) => caller.call((a) => a.getTag(id), callOptions).catch(skipNotFound)),
        );
        for (const tag of batch) if (tag !== undefined && tag.name === tagName) found.push(tag);
      }
    }
    // Category names only for the categories holding a match (usually one): a few more GETs.
    const names = new Map<string, string>();
    const holding = [...new Set(found.map((tag) => tag.categoryId))];
    for (let i = 0; i < holding.length; i += LOOKUP_CONCURRENCY) {
      const batch = await Promise.all(
        holding
          .slice(i, i + LOOKUP_CONCURRENCY)
          .map((id) => caller.call((a) => a.getCategory(id), callOptions).catch(skipNotFound)),
      );
      for (const category of batch) {
        if (category === undefined) continue;
        categories.set(category.name, category);
        names.set(category.id, category.name);
      }
    }
    // A tag whose category vanished meanwhile went with it.
    return found.flatMap((tag) => {
      const categoryName = names.get(tag.categoryId);
      return categoryName === undefined ? [] : [{ ...tag, categoryName }];
    });
  }

  async function createCategory(name: string, o: EnsureTagOptions): Promise<TagCategory> {
    try {
      await caller.call(
        (a) =>
          a.createCategory({
            name,
            description: o.description ?? '',
            cardinality: o.cardinality ?? 'MULTIPLE',
            associableTypes: o.associableTypes ?? ['VirtualMachine'],
          }),
        o,
      );
    } catch (error) {
      // another replica created it first
      if (!isAlreadyExists(error)) throw error;
    }
    const created = await findCategory(name, o);
    if (created === undefined) throw notFound(`category "${name}" was created but cannot be found`);
    return created;
  }

  async function ensureCategory(name: string, o: EnsureTagOptions = {}): Promise<TagCategory> {
    requireText(name, 'category name');
    return once(`ensure-category\u0000${name}`, async () => {
      const found = await findCategory(name, o);
      if (found !== undefined) return found;
      if (!(o.create ?? options.createMissingTags)) {
        throw notFound(`category "${name}" does not exist in vCenter (creation is off)`);
      }
      return createCategory(name, o);
    });
  }

  async function ensureTag(
    categoryName: string,
    tagName: string,
    o: EnsureTagOptions = {},
  ): Promise<Tag> {
    requireText(categoryName, 'category name');
    requireText(tagName, 'tag name');
    return once(`ensure\u0000${tagKey(categoryName, tagName)}`, async () => {
      const found = await findTag(categoryName, tagName, o);
      if (found !== undefined) return found;
      if (!(o.create ?? options.createMissingTags)) {
        throw notFound(
          `tag "${tagName}" in category "${categoryName}" does not exist in vCenter (creation is off)`,
        );
      }
      const category =
        (await findCategory(categoryName, o)) ?? (await createCategory(categoryName, o));
      let createdId: string | undefined;
      try {
        createdId = await caller.call(
          (a) =>
            a.createTag({
              name: tagName,
              description: o.description ?? '',
              categoryId: category.id,
            }),
          o,
        );
      } catch (error) {
        // Another replica created it first: one wins, the other finds it.
        if (!isAlreadyExists(error)) throw error;
      }
      // The new id costs one GET; after ALREADY_EXISTS, a walk that GETs only tags not seen yet.
      const created = createdId === undefined ? undefined : await fetchTag(createdId, o);
      if (created !== undefined && created.categoryId === category.id) {
        tags.set(tagKey(categoryName, created.name), created);
        return created;
      }
      const again = await findTag(categoryName, tagName, o);
      if (again === undefined)
        throw notFound(
          `tag "${tagName}" in category "${categoryName}" was created but cannot be found`,
        );
      return again;
    });
  }

  /** A NOT_FOUND for a tag id means our cached id is stale: forget it, let the caller decide. */
  async function withTag<T>(tagId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isNotFound(error)) forgetTag(tagId);
      throw error;
    }
  }

  return {
    findCategory,
    findTag,
    findTagsByName,
    ensureTag,
    ensureCategory,
    async getTag(tagId, callOptions) {
      requireText(tagId, 'tag id');
      return fetchTag(tagId, callOptions);
    },
    async attach(tagId, vmId, callOptions) {
      requireText(tagId, 'tag id');
      const object = vm(vmId);
      return withTag(tagId, () => caller.call((a) => a.attach(tagId, object), callOptions));
    },
    async attachToMany(tagId, vmIds, callOptions) {
      requireText(tagId, 'tag id');
      const unique = [...new Set(vmIds)];
      const objects = unique.map(vm);
      if (objects.length === 0) return { success: true, results: [], messages: [] };
      const batch = await withTag(tagId, () =>
        caller.call((a) => a.attachToMany(tagId, objects), callOptions),
      );
      return perObject(unique, batch.success, batch.errorMessages);
    },
    async detach(tagId, vmId, callOptions) {
      requireText(tagId, 'tag id');
      const object = vm(vmId);
      return withTag(tagId, () => caller.call((a) => a.detach(tagId, object), callOptions));
    },
    async detachFromMany(tagId, vmIds, callOptions) {
      requireText(tagId, 'tag id');
      const unique = [...new Set(vmIds)];
      const objects = unique.map(vm);
      if (objects.length === 0) return { success: true, results: [], messages: [] };
      const batch = await withTag(tagId, () =>
        caller.call((a) => a.detachFromMany(tagId, objects), callOptions),
      );
      if (batch === undefined) return undefined;
      const outcome = perObject(unique, batch.success, batch.errorMessages);
      return {
        success: outcome.success,
        messages: outcome.messages,
        results: outcome.results.map((r) => ({
          ...r,
          status: r.status === 'attached' ? 'detached' : r.status,
        })),
      };
    },
    async listAttachedTags(vmId, callOptions) {
      const object = vm(vmId);
      return caller.call((a) => a.listAttachedTags(object), callOptions);
    },
    async listAttachedTagsOnVms(vmIds, callOptions) {
      const unique = [...new Set(vmIds)];
      const objects = unique.map(vm);
      const found = new Map<string, string[]>(unique.map((id) => [id, []]));
      if (objects.length === 0) return found;
      const answer = await caller.call((a) => a.listAttachedTagsOnObjects(objects), callOptions);
      for (const entry of answer) {
        if (entry.objectId.type === 'VirtualMachine' && found.has(entry.objectId.id))
          found.set(entry.objectId.id, entry.tagIds);
      }
      return found;
    },
    clearCache() {
      categories.clear();
      tags.clear();
      tagsById.clear();
    },
  };
}

/**
 * vCenter's BatchResult lists error messages without saying which object each is about; the
 * object id usually appears in the message's args or text, so attribute by that.
 */
export function perObject(
  vmIds: string[],
  success: boolean,
  errors: VapiMessage[],
): AttachManyResult {
  const messages = errors.map((m) => m.defaultMessage);
  const mentions = (m: VapiMessage, id: string): boolean =>
    m.args.includes(id) ||
    new RegExp(`(^|[^\\w-])${escapeRegExp(id)}($|[^\\w-])`).test(m.defaultMessage);
  const unattributed = errors
    .filter((m) => !vmIds.some((id) => mentions(m, id)))
    .map((m) => m.defaultMessage);
  const failedWithoutMessage = !success && errors.length === 0;
  const results = vmIds.map((vmId): AttachResult => {
    const own = errors.filter((m) => mentions(m, vmId)).map((m) => m.defaultMessage);
    if (own.length > 0) return { vmId, status: 'failed', messages: own };
    if (success) return { vmId, status: 'attached', messages: [] };
    if (unattributed.length > 0 || failedWithoutMessage)
      return { vmId, status: 'unknown', messages: unattributed };
    return { vmId, status: 'attached', messages: [] };
  });
  return { success, results, messages };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function vm(vmId: string): ObjectId {
  requireText(vmId, 'VM id');
  return { type: 'VirtualMachine', id: vmId };
}

function requireText(value: string, what: string): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new VCenterError(`${what} must be a non-empty string`, {
      type: 'INVALID_ARGUMENT',
      retryable: false,
    });
  }
}

function isAlreadyExists(error: unknown): boolean {
  return error instanceof VCenterError && error.vapiType === 'ALREADY_EXISTS';
}

function isNotFound(error: unknown): boolean {
  return error instanceof VCenterError && error.vapiType === 'NOT_FOUND';
}

function skipNotFound(error: unknown): undefined {
  if (isNotFound(error)) return undefined;
  throw error;
}

function notFound(message: string): VCenterError {
  return new VCenterError(message, { type: 'TAG_NOT_FOUND', retryable: false });
}
