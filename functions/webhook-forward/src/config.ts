import type { Config } from '@veba-functions/runtime';
import { z } from 'zod';

/**
 * webhook-forward's keys: where to POST, the Standard Webhooks signing secret(s), the timeout.
 *
 * `WEBHOOK_SECRET_JSON` holds any of them as a JSON object; kn-ps-zapier's `ZAPIER_SECRET`
 * (`{"ZAPIER_WEBHOOK_URL": "..."}`) works as it is, its URL read when `WEBHOOK_URL` is not set.
 */
export const config = {
  /** The receiver's URL (secret): https, or http to a loopback address. */
  WEBHOOK_URL: z.string().optional(),
  /** kn-ps-zapier's name for the URL (secret). */
  ZAPIER_WEBHOOK_URL: z.string().optional(),
  /** One or more `whsec_` secrets separated by spaces (rotation: one signature each). Secret. */
  WEBHOOK_SECRET: z.string().optional(),
  /** Per-request timeout; the spec recommends 15 to 30 s. */
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().positive().max(120).default(15),
};

/** JSON objects of the keys above (individual variables win), in this order. */
export const secretVariables: string[] = ['WEBHOOK_SECRET_JSON', 'ZAPIER_SECRET'];

/** Secret by their names already (`WEBHOOK`, `SECRET`); listed so a rename cannot lose them. */
export const sensitiveKeys: string[] = ['WEBHOOK_URL', 'ZAPIER_WEBHOOK_URL', 'WEBHOOK_SECRET'];

export type WebhookForwardConfig = Config<typeof config>;
