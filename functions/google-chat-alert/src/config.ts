import type { Config } from '@veba-functions/runtime';
import { notifierConfigShape, timeoutKey, type WebhookAlertKeys } from '@veba-functions/notifier';
import { z } from 'zod';

/**
 * google-chat-alert's keys: the space's webhook URL (plain, or inside `GOOGLE_CHAT_SECRET`, the
 * JSON secret of VEBA's kn-ps-google-chat example: `{"GOOGLE_CHAT_WEBHOOK_URL": "..."}`), the POST
 * timeout, and the notifier core's shared keys (Redis, maintenance suppression).
 */
export const config = {
  GOOGLE_CHAT_WEBHOOK_URL: z.string().optional(),
  /** JSON secret (kn-ps-google-chat's shape) or the raw URL; read as a key, unpacked in `init`. */
  GOOGLE_CHAT_SECRET: z.string().optional(),
  /** Per-request timeout of the webhook POST, ms (capped by the event deadline). */
  GOOGLE_CHAT_TIMEOUT_MS: timeoutKey(),
  ...notifierConfigShape,
};

/** None through the runtime: `GOOGLE_CHAT_SECRET` is unpacked by `resolveWebhookSettings`. */
export const secretVariables: string[] = [];

/** The webhook URL carries its credentials (the `key` and `token` query parameters). */
export const sensitiveKeys: string[] = ['GOOGLE_CHAT_WEBHOOK_URL'];

/** Where `webhookAlertSetup` looks (the URL through `resolveWebhookSettings`, and the timeout). */
export const GOOGLE_CHAT_KEYS: WebhookAlertKeys = {
  url: 'GOOGLE_CHAT_WEBHOOK_URL',
  secret: 'GOOGLE_CHAT_SECRET',
  timeout: 'GOOGLE_CHAT_TIMEOUT_MS',
};

export type GoogleChatAlertConfig = Config<typeof config>;
