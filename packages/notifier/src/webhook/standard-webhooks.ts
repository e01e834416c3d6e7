/**
 * Signing per the Standard Webhooks specification 1.0.0
 * (https://www.standardwebhooks.com, github.com/standard-webhooks/standard-webhooks
 * spec/standard-webhooks.md):
 * - the signed content is `{msg_id}.{timestamp}.{payload}`, the payload exactly as sent;
 * - symmetric signatures are HMAC-SHA256 with a secret that is "Random. At least 24 bytes
 *   (192 bits, 512 maximum)", serialized as base64 "prefixed with `whsec_`";
 * - headers `webhook-id` (the same across retries: "it remains the same no matter how many times
 *   a webhook that has failed is retried"), `webhook-timestamp` (integer Unix seconds of the
 *   attempt) and `webhook-signature`, "a space delimited list of signatures" `v1,<base64>`, one
 *   per secret, for "zero downtime secret rotation";
 * - the id and timestamp must not contain `.`.
 */
import { createHash, createHmac } from 'node:crypto';
import { ConfigError } from '@veba-functions/runtime';

/** One signing secret. */
export interface SigningKey {
  /** The raw key bytes (the base64 after `whsec_`). */
  readonly key: Buffer;
  /**
   * Its texts to scrub from a receiver's answers (the destination's `secrets`): the secret as
   * configured, and the base64 key alone, which is what a receiver's library decodes and may
   * quote back.
   */
  readonly secrets: readonly string[];
}

const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses `whsec_...` secrets separated by white space (several while a key is rotated).
 *
 * @throws ConfigError naming the key, never a value.
 * @example parseSigningSecrets('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_...', 'WEBHOOK_SECRET')
 */
export function parseSigningSecrets(raw: string, keyName: string): SigningKey[] {
  const parts = raw.split(/\s+/).filter((part) => part !== '');
  if (parts.length === 0) {
    throw new ConfigError([
      `${keyName}: missing (one or more whsec_ secrets, separated by spaces)`,
    ]);
  }
  return parts.map((part, index) => {
    const where = parts.length > 1 ? ` (secret ${index + 1} of ${parts.length})` : '';
    if (!part.startsWith('whsec_')) {
      throw new ConfigError([
        `${keyName}: invalid${where}: expected the Standard Webhooks form whsec_<base64 of 24 to 64 random bytes>`,
      ]);
    }
    const encoded = part.slice('whsec_'.length);
    const key = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
    if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
      throw new ConfigError([
        `${keyName}: invalid${where}: the base64 after whsec_ must decode to 24 to 64 bytes`,
      ]);
    }
    return { key, secrets: [part, encoded] };
  });
}

/**
 * The `webhook-id` of an event: `msg_` and a hash of its identity (`source`, `id`), so every
 * attempt of one event carries the same id (receivers use it as an idempotency key).
 *
 * @example webhookIdOf({ source: 'https://vc/sdk', id: '42' }) // 'msg_…' (32 hex digits)
 */
export function webhookIdOf(identity: { source: string; id: string }): string {
  return `msg_${createHash('sha256').update(`${identity.source}\n${identity.id}`).digest('hex').slice(0, 32)}`;
}

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of id.timestamp.body>` per key, space
 * separated.
 *
 * @example signWebhook('msg_1', 1674087231, '{"a":1}', keys) // 'v1,K5oZ…='
 */
export function signWebhook(
  id: string,
  timestampSeconds: number,
  body: string,
  keys: readonly SigningKey[],
): string {
  const content = `${id}.${timestampSeconds}.${body}`;
  return keys
    .map(({ key }) => `v1,${createHmac('sha256', key).update(content, 'utf8').digest('base64')}`)
    .join(' ');
}
