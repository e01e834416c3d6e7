import { ConfigError, type Config } from '@veba-functions/runtime';
import {
  optionalText,
  tagTargetOptionsFromConfig,
  vcenterConfig,
  vcenterGoExampleConfig,
  vcenterTagConfig,
  type TagSettings,
} from '@veba-functions/vcenter';
import { z } from 'zod';

/**
 * vm-tag's keys: the vCenter connection and the tag as VEBA's kn-pcli-tag `TAG_SECRET` names
 * them, plus kn-go-tagging's keys where they map (`VCENTER_URL`, `VCENTER_SECRET_PATH`,
 * `TAG_NAME`, `TAG_ACTION`). The runtime's, dedupe and ordering keys apply as well.
 */
export const config = {
  ...vcenterConfig,
  ...vcenterGoExampleConfig,
  ...vcenterTagConfig,
  /** The tag (kn-pcli-tag's key); `TAG_NAME` (kn-go-tagging's) when unset. */
  VCENTER_TAG_NAME: optionalText,
  /** kn-go-tagging's name for the tag. */
  TAG_NAME: optionalText,
  /** `attach` (default, as in kn-go-tagging) or `detach`. */
  TAG_ACTION: z
    .string()
    .trim()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(['attach', 'detach']))
    .default('attach'),
};

/** JSON secret variables, read in this order after the individual variables. */
export const secretVariables: string[] = ['VCENTER_SECRET', 'TAG_SECRET'];

/** `VCENTER_PASSWORD` and the secret variables are secret by name already. */
export const sensitiveKeys: string[] = [];

export type VmTagConfig = Config<typeof config>;

/**
 * What the function does: the tag and the action. `VCENTER_TAG_NAME` wins over kn-go-tagging's
 * `TAG_NAME`.
 *
 * @throws ConfigError naming both keys when neither is set.
 */
export function tagSettings(c: VmTagConfig): TagSettings {
  const tagName = c.VCENTER_TAG_NAME ?? c.TAG_NAME;
  if (tagName === undefined) {
    throw new ConfigError([
      `VCENTER_TAG_NAME: missing (looked in VCENTER_TAG_NAME and TAG_NAME, as variables and in ${secretVariables.join(' and ')})`,
    ]);
  }
  return {
    action: c.TAG_ACTION,
    target: tagTargetOptionsFromConfig({ ...c, VCENTER_TAG_NAME: tagName }),
  };
}
