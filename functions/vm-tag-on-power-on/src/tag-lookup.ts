/**
 * How the configured tag is found (and optionally created) in vCenter, from the config keys:
 * inside `VCENTER_TAG_CATEGORY` when set, otherwise by name across all categories (as VEBA's
 * PowerCLI example does with `Get-Tag -Name`), refusing an ambiguous name.
 */
import type { Tag, Tagging } from '@veba-functions/vcenter';
import { TagNotConfiguredError, type TagRef, type TagResolverOptions } from './tag-resolver.js';

export interface TagLookupConfig {
  tagName: string;
  category: string | undefined;
  createIfMissing: boolean;
}

/**
 * A name search across categories. Not part of the vcenter client's `Tagging` contract yet
 * (tag names are unique only within a category); used when the client offers it.
 */
export interface CrossCategoryTagSearch {
  findTagsByName(tagName: string): Promise<Tag[]>;
}

type TaggingForLookup = Pick<Tagging, 'findTag' | 'ensureTag'> & Partial<CrossCategoryTagSearch>;

/** Builds the resolver's find/create functions; throws TagNotConfiguredError for an unusable combination. */
export function createTagLookup(
  tagging: TaggingForLookup,
  config: TagLookupConfig,
): TagResolverOptions {
  const { tagName, category } = config;
  if (category !== undefined) {
    return {
      describe: `"${tagName}" in category "${category}"`,
      find: async () => toRef(await tagging.findTag(category, tagName)),
      ...(config.createIfMissing
        ? { create: async () => ref(await tagging.ensureTag(category, tagName, { create: true })) }
        : {}),
    };
  }
  if (config.createIfMissing) {
    throw new TagNotConfiguredError(
      'VCENTER_TAG_CREATE_IF_MISSING=true needs VCENTER_TAG_CATEGORY: the category to create the tag in',
    );
  }
  const search = tagging.findTagsByName?.bind(tagging);
  if (search === undefined) {
    throw new TagNotConfiguredError(
      `VCENTER_TAG_CATEGORY is required to find tag "${tagName}": set it to the name of the tag's category (this vCenter client looks tags up only inside a category)`,
    );
  }
  return {
    describe: `"${tagName}" (in any category)`,
    find: async () => {
      const found = await search(tagName);
      if (found.length > 1) {
        throw new TagNotConfiguredError(
          `tag name "${tagName}" exists in ${found.length} categories (${found.map((t) => t.categoryId).join(', ')}): set VCENTER_TAG_CATEGORY to say which`,
        );
      }
      return toRef(found[0]);
    },
  };
}

function ref(tag: Tag): TagRef {
  return { id: tag.id, name: tag.name };
}

function toRef(tag: Tag | undefined): TagRef | undefined {
  return tag === undefined ? undefined : ref(tag);
}
