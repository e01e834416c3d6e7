/**
 * The configuration keys of a function that applies one configured tag (vm-tag-on-power-on,
 * vm-tag), as VEBA's kn-pcli-tag `TAG_SECRET` names them, and their mapping to a tag target.
 */
import { booleanFromEnv } from '@veba-functions/runtime';
import { z } from 'zod';
import type { TagTargetOptions } from './tag-target.js';

/** A text key where an unset or empty (or blank) variable reads as absent. */
export const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/**
 * Keys for the one tag a function applies. Spread into the function's `config` next to
 * `vcenterConfig`.
 *
 * @example
 * export const config = { ...vcenterConfig, ...vcenterTagConfig };
 */
export const vcenterTagConfig = {
  /** The tag (VEBA's TAG_SECRET key). */
  VCENTER_TAG_NAME: z.string().trim().min(1),
  /** The tag's category; unset, the tag is found by name in any category (an ambiguous name fails init). */
  VCENTER_TAG_CATEGORY: optionalText,
  /** Create the tag (and its category) in init when missing; needs the category. Default false. */
  VCENTER_TAG_CREATE_IF_MISSING: booleanFromEnv().default(false),
  /** Most VMs in one attach/detach batch call (VMware advises at most 2000). Default 100. */
  VCENTER_TAG_BATCH_MAX: z.coerce.number().int().min(1).max(2_000).default(100),
};

/** The values `tagTargetOptionsFromConfig` reads. */
export interface VCenterTagConfig {
  VCENTER_TAG_NAME: string;
  VCENTER_TAG_CATEGORY: string | undefined;
  VCENTER_TAG_CREATE_IF_MISSING: boolean;
  /** The client's own key: creation allowed for every tag. */
  VCENTER_CREATE_MISSING_TAGS?: boolean;
}

/** Loaded config -> the tag target's options. */
export function tagTargetOptionsFromConfig(config: VCenterTagConfig): TagTargetOptions {
  return {
    tagName: config.VCENTER_TAG_NAME,
    category: config.VCENTER_TAG_CATEGORY,
    createIfMissing:
      config.VCENTER_TAG_CREATE_IF_MISSING || config.VCENTER_CREATE_MISSING_TAGS === true,
  };
}
