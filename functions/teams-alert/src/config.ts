import type { Config } from '@veba-functions/runtime';
import {
  notifierConfigShape,
  retiredTeamsConnector,
  timeoutKey,
  type WebhookAlertKeys,
} from '@veba-functions/notifier';
import { z } from 'zod';

/**
 * teams-alert's keys: the Workflows webhook URL (plain, or inside `TEAMS_SECRET`, the JSON secret
 * of VEBA's kn-ps-ngw-teams example: `{"TEAMS_WEBHOOK_URL": "..."}`), an optional pretext, the
 * POST timeout, and the notifier core's shared keys (Redis, maintenance suppression).
 */
export const config = {
  TEAMS_WEBHOOK_URL: z.string().optional(),
  TEAMS_MESSAGE_PRETEXT: z.string().optional(),
  /** JSON secret (kn-ps-ngw-teams' shape) or the raw URL; read as a key, unpacked in `init`. */
  TEAMS_SECRET: z.string().optional(),
  /** Per-request timeout of the webhook POST, ms (capped by the event deadline). */
  TEAMS_TIMEOUT_MS: timeoutKey(),
  ...notifierConfigShape,
};

/** None through the runtime: `TEAMS_SECRET` is unpacked by `resolveWebhookSettings`. */
export const secretVariables: string[] = [];

/** The webhook URL carries its credential (the `sig` query parameter). */
export const sensitiveKeys: string[] = ['TEAMS_WEBHOOK_URL'];

/** Where `webhookAlertSetup` looks (the URL through `resolveWebhookSettings`, and the timeout); retired Office 365 connector URLs are refused. */
export const TEAMS_KEYS: WebhookAlertKeys = {
  url: 'TEAMS_WEBHOOK_URL',
  pretext: 'TEAMS_MESSAGE_PRETEXT',
  secret: 'TEAMS_SECRET',
  timeout: 'TEAMS_TIMEOUT_MS',
  refuse: retiredTeamsConnector,
};

export type TeamsAlertConfig = Config<typeof config>;
