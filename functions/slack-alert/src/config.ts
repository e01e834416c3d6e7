import type { Config } from '@veba-functions/runtime';
import { notifierConfigShape, timeoutKey, type WebhookAlertKeys } from '@veba-functions/notifier';
import { z } from 'zod';

/**
 * slack-alert's keys: where the webhook URL comes from, the pretext, the POST timeout, and the
 * notifier core's shared keys (Redis, maintenance suppression).
 *
 * VEBA users bring one of three shapes, all accepted unchanged: `SLACK_WEBHOOK_URL` (and
 * `SLACK_MESSAGE_PRETEXT`) as plain variables; `SLACK_SECRET` holding a JSON object of those keys
 * (VEBA's PowerShell Slack examples); `SLACK_SECRET` holding the raw webhook URL (VEBA's Python
 * example). The runtime's `secretVariables` takes JSON objects only, so `SLACK_SECRET` is an
 * ordinary key here (secret by its name: scrubbed from every log line), unpacked in `init` by
 * `resolveWebhookSettings`.
 */
export const config = {
  SLACK_WEBHOOK_URL: z.string().optional(),
  SLACK_MESSAGE_PRETEXT: z.string().optional(),
  SLACK_SECRET: z.string().optional(),
  /** Per-request timeout of the webhook POST, ms (capped by the event deadline). */
  SLACK_TIMEOUT_MS: timeoutKey(),
  ...notifierConfigShape,
};

/** None through the runtime: `SLACK_SECRET` may be a raw URL, so it is read as a key (above). */
export const secretVariables: string[] = [];

/** The webhook URL is secret by its name (`WEBHOOK`); listed so the rule does not hang on the name. */
export const sensitiveKeys: string[] = ['SLACK_WEBHOOK_URL'];

/** Where `webhookAlertSetup` looks (the URL through `resolveWebhookSettings`, and the timeout). */
export const SLACK_KEYS: WebhookAlertKeys = {
  url: 'SLACK_WEBHOOK_URL',
  pretext: 'SLACK_MESSAGE_PRETEXT',
  secret: 'SLACK_SECRET',
  timeout: 'SLACK_TIMEOUT_MS',
};

export type SlackAlertConfig = Config<typeof config>;
