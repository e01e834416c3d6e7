/**
 * slack-alert's configuration keys, and where the webhook URL may come from.
 *
 * VEBA users bring one of three shapes, all accepted unchanged:
 * 1. `SLACK_WEBHOOK_URL` (and optionally `SLACK_MESSAGE_PRETEXT`) as plain variables;
 * 2. `SLACK_SECRET` holding a JSON object `{"SLACK_WEBHOOK_URL": "...", "SLACK_MESSAGE_PRETEXT": "..."}`
 *    (VEBA's PowerShell Slack examples);
 * 3. `SLACK_SECRET` holding the raw webhook URL and nothing else (VEBA's Python example).
 *
 * The runtime's `secretVariables` only understands shape 2 (a raw URL there is a config error), so
 * `SLACK_SECRET` is read as an ordinary key and unpacked here. Its whole value is secret by name
 * (`/SECRET/`), so the runtime scrubs it from every log line; the URL inside a JSON secret is never
 * logged by this function (only `maskWebhookUrl`'s form is).
 */
import { ConfigError } from '@veba-functions/runtime';
import { z } from 'zod';

/** The keys slack-alert reads (merged by the runtime with its own and the dedupe guard's). */
export const slackConfigShape = {
  SLACK_WEBHOOK_URL: z.string().optional(),
  SLACK_MESSAGE_PRETEXT: z.string().optional(),
  SLACK_SECRET: z.string().optional(),
  /** Per-request timeout of the webhook POST, ms (capped by the event deadline). */
  SLACK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
};

/** The settings the function runs with. */
export interface SlackSettings {
  webhookUrl: string;
  pretext: string | undefined;
}

type KeyValues = {
  SLACK_WEBHOOK_URL?: string | undefined;
  SLACK_MESSAGE_PRETEXT?: string | undefined;
  SLACK_SECRET?: string | undefined;
};

/**
 * Works out the webhook URL and pretext; plain variables win over `SLACK_SECRET`.
 *
 * @throws ConfigError naming the key and where it was looked for, never a value.
 * @example
 * resolveSlackSettings({ SLACK_SECRET: 'https://hooks.slack.com/services/T/B/x' })
 * // { webhookUrl: 'https://hooks.slack.com/services/T/B/x', pretext: undefined }
 */
export function resolveSlackSettings(config: KeyValues): SlackSettings {
  const secret = unpackSecret(nonEmpty(config.SLACK_SECRET));
  const fromEnv = nonEmpty(config.SLACK_WEBHOOK_URL);
  const url = fromEnv ?? secret.webhookUrl;
  const from = fromEnv !== undefined ? 'env SLACK_WEBHOOK_URL' : secret.from;
  if (url === undefined) {
    throw new ConfigError([
      'SLACK_WEBHOOK_URL: missing (looked in env SLACK_WEBHOOK_URL, JSON secret SLACK_SECRET and SLACK_SECRET as a raw URL)',
    ]);
  }
  if (!isHttpUrl(url)) {
    throw new ConfigError([`SLACK_WEBHOOK_URL: invalid (from ${from}): expected an http(s) URL`]);
  }
  return { webhookUrl: url, pretext: nonEmpty(config.SLACK_MESSAGE_PRETEXT) ?? secret.pretext };
}

function unpackSecret(raw: string | undefined): {
  webhookUrl?: string;
  pretext?: string;
  from?: string;
} {
  if (raw === undefined) return {};
  const trimmed = raw.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    if (isHttpUrl(trimmed)) return { webhookUrl: trimmed, from: 'SLACK_SECRET (raw URL)' };
    throw new ConfigError([
      'SLACK_SECRET: invalid: expected a JSON object of keys or the raw webhook URL',
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new ConfigError([
      'SLACK_SECRET: not valid JSON (expected a JSON object of keys or the raw webhook URL)',
    ]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([
      'SLACK_SECRET: not a JSON object (expected a JSON object of keys or the raw webhook URL)',
    ]);
  }
  const object = parsed as Record<string, unknown>;
  const url = object.SLACK_WEBHOOK_URL;
  const pretext = object.SLACK_MESSAGE_PRETEXT;
  if (url !== undefined && url !== null && typeof url !== 'string') {
    throw new ConfigError([
      'SLACK_WEBHOOK_URL: invalid (from JSON secret SLACK_SECRET): expected a string',
    ]);
  }
  if (pretext !== undefined && pretext !== null && typeof pretext !== 'string') {
    throw new ConfigError([
      'SLACK_MESSAGE_PRETEXT: invalid (from JSON secret SLACK_SECRET): expected a string',
    ]);
  }
  return {
    webhookUrl: nonEmpty(url ?? undefined),
    pretext: nonEmpty(pretext ?? undefined),
    from: 'JSON secret SLACK_SECRET',
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}
