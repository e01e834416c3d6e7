import type { Config } from '@veba-functions/runtime';
import { vcenterConfig, vcenterTagConfig } from '@veba-functions/vcenter';

/**
 * vm-tag-on-power-on's keys: the vCenter connection (`VCENTER_SERVER`, ...) and the tag
 * (`VCENTER_TAG_NAME`, `VCENTER_TAG_CATEGORY`, ...), as VEBA's kn-pcli-tag `TAG_SECRET` names
 * them. The runtime's, dedupe and ordering keys apply as well.
 */
export const config = { ...vcenterConfig, ...vcenterTagConfig };

/**
 * JSON secret variables, read in this order after the individual variables: the shared vCenter
 * secret, and VEBA's kn-pcli-tag secret unchanged.
 */
export const secretVariables: string[] = ['VCENTER_SECRET', 'TAG_SECRET'];

/** `VCENTER_PASSWORD` and the secret variables are secret by name already. */
export const sensitiveKeys: string[] = [];

export type VmTagOnPowerOnConfig = Config<typeof config>;
