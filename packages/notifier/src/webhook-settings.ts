/**
 * Where a notifier function finds its webhook URL and pretext. VEBA users bring one of three
 * shapes, all accepted unchanged:
 * 1. `<URL_KEY>` (and optionally `<PRETEXT_KEY>`) as plain variables;
 * 2. `<SECRET_KEY>` holding a JSON object `{"<URL_KEY>": "...", "<PRETEXT_KEY>": "..."}`
 *    (VEBA's PowerShell examples: `SLACK_SECRET`, kn-ps-ngw-teams' `TEAMS_SECRET`,
 *    kn-ps-google-chat's `GOOGLE_CHAT_SECRET`);
 * 3. `<SECRET_KEY>` holding the raw webhook URL and nothing else (VEBA's Python Slack example).
 *
 * The runtime's `secretVariables` only understands shape 2 (a raw URL there is a config error), so
 * the secret variable is read as an ordinary key and unpacked here. Its whole value is secret by
 * name (`/SECRET/`), so the runtime scrubs it from every log line.
 */
import { ConfigError } from '@veba-functions/runtime';
import { parseDestination, type Destination } from './destination.js';

/** The key names of one target. */
export interface WebhookKeys {
  /** e.g. `SLACK_WEBHOOK_URL` */
  url: string;
  /** e.g. `SLACK_MESSAGE_PRETEXT`; none when the target has no pretext. */
  pretext?: string;
  /** e.g. `SLACK_SECRET` */
  secret: string;
  /** A further check of the URL (e.g. Teams refuses retired connector URLs). */
  refuse?: (url: URL) => string | undefined;
}

/** The settings a notifier function runs with. */
export interface WebhookSettings {
  destination: Destination;
  pretext: string | undefined;
}

/**
 * Works out the webhook URL and pretext; plain variables win over the secret variable.
 *
 * @throws ConfigError naming the key and where it was looked for, never a value.
 * @example
 * resolveWebhookSettings(SLACK_KEYS, { SLACK_SECRET: 'https://hooks.slack.com/services/T/B/x' })
 * // { destination: { masked: 'https://hooks.slack.com/services/***', ... }, pretext: undefined }
 */
export function resolveWebhookSettings(
  keys: WebhookKeys,
  config: Readonly<Record<string, unknown>>,
): WebhookSettings {
  const secret = unpackSecret(keys, nonEmpty(config[keys.secret]));
  const fromEnv = nonEmpty(config[keys.url]);
  const url = fromEnv ?? secret.url;
  const from = fromEnv !== undefined ? `env ${keys.url}` : (secret.from ?? keys.secret);
  if (url === undefined) {
    throw new ConfigError([
      `${keys.url}: missing (looked in env ${keys.url}, JSON secret ${keys.secret} and ${keys.secret} as a raw URL)`,
    ]);
  }
  const options = keys.refuse
    ? { key: keys.url, from, refuse: keys.refuse }
    : { key: keys.url, from };
  const destination = parseDestination(url, options);
  const pretext = keys.pretext === undefined ? undefined : nonEmpty(config[keys.pretext]);
  return { destination, pretext: pretext ?? secret.pretext };
}

function unpackSecret(
  keys: WebhookKeys,
  raw: string | undefined,
): { url?: string; pretext?: string; from?: string } {
  if (raw === undefined) return {};
  if (!raw.startsWith('{') && !raw.startsWith('[')) {
    if (/^https?:\/\//i.test(raw)) return { url: raw, from: `${keys.secret} (raw URL)` };
    throw new ConfigError([
      `${keys.secret}: invalid: expected a JSON object of keys or the raw webhook URL`,
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError([
      `${keys.secret}: not valid JSON (expected a JSON object of keys or the raw webhook URL)`,
    ]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([
      `${keys.secret}: not a JSON object (expected a JSON object of keys or the raw webhook URL)`,
    ]);
  }
  const object = parsed as Record<string, unknown>;
  const url = Object.hasOwn(object, keys.url) ? object[keys.url] : undefined;
  const pretext =
    keys.pretext !== undefined && Object.hasOwn(object, keys.pretext)
      ? object[keys.pretext]
      : undefined;
  if (url !== undefined && url !== null && typeof url !== 'string') {
    throw new ConfigError([
      `${keys.url}: invalid (from JSON secret ${keys.secret}): expected a string`,
    ]);
  }
  if (pretext !== undefined && pretext !== null && typeof pretext !== 'string') {
    throw new ConfigError([
      `${keys.pretext ?? 'pretext'}: invalid (from JSON secret ${keys.secret}): expected a string`,
    ]);
  }
  const out: { url?: string; pretext?: string; from: string } = {
    from: `JSON secret ${keys.secret}`,
  };
  const u = nonEmpty(url ?? undefined);
  const p = nonEmpty(pretext ?? undefined);
  if (u !== undefined) out.url = u;
  if (p !== undefined) out.pretext = p;
  return out;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value !== 'string' || value.trim() === '' ? undefined : value.trim();
}
