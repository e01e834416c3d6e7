import { createHash } from 'node:crypto';
import { rawData, type CloudEvent } from '@veba-functions/runtime';

/** Parts longer than this are replaced by their sha256, so a key stays bounded whatever the event holds. */
export const MAX_KEY_PART = 96;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * One key part: URI-encoded (so a `:` inside a part can never make two identities collide), or
 * `#<sha256>` when longer than {@link MAX_KEY_PART} (`#` is always encoded, so hashed and plain
 * parts cannot collide either).
 */
export function keyPart(value: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    // A lone UTF-16 surrogate cannot be URI-encoded (the runtime refuses such attributes with
    // 400, but a scope is built by the function): hash its code units instead of failing the event.
    return `#u${createHash('sha256').update(value, 'utf16le').digest('hex')}`;
  }
  return encoded.length > MAX_KEY_PART ? `#${sha256(value)}` : encoded;
}

/** `dedupe:<function>:<source>:<id>`; at most ~300 characters before the store's prefix. */
export function dedupeKey(functionName: string, source: string, id: string): string {
  return `dedupe:${keyPart(functionName)}:${keyPart(source)}:${keyPart(id)}`;
}

/** `order:<function>:<scope>`. */
export function orderKey(functionName: string, scope: string): string {
  return `order:${keyPart(functionName)}:${keyPart(scope)}`;
}

/** JSON with object keys sorted, so the same payload always gives the same fingerprint. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value instanceof Uint8Array) return `b64:${Buffer.from(value).toString('base64')}`;
  const entries = Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/**
 * A short stable digest of the event payload (data only: a legacy router event and a v0.8 event
 * carrying the same vCenter event share identity and payload), stored with the dedupe record.
 */
export function fingerprint(data: unknown): string {
  return sha256(canonical(data)).slice(0, 32);
}

/**
 * The event's payload fingerprint. A binary-mode JSON body is hashed as received: the broker
 * redelivers the same bytes, and this spares parsing and canonicalising the payload on the hot
 * path (about 25 µs per vSphere event). Anything else falls back to {@link fingerprint}.
 */
export function eventFingerprint(event: CloudEvent<unknown>): string {
  const body = rawData(event);
  return body === undefined
    ? fingerprint(event.data)
    : `raw:${createHash('sha256').update(body).digest('hex').slice(0, 28)}`;
}
