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

type TaggingForLookup = Pick<Tagging, 'findTag' | 'ensureTag' | 'findTagsByName'>;

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
  // One walk over every category and tag (vCenter has no search by name): in init, and again only
  // when vCenter says the resolved id is gone.
  return {
    describe: `"${tagName}" (in any category)`,
    find: async () => {
      const found = await tagging.findTagsByName(tagName);
      if (found.length > 1) {
        const categories = found.map((t) => `"${t.categoryName}"`).join(', ');
        throw new TagNotConfiguredError(
          `tag name "${tagName}" exists in ${found.length} categories (${categories}): set VCENTER_TAG_CATEGORY to say which`,
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
