/**
 * A destination URL (a webhook) is a credential: its path and query carry the token. This module
 * checks one at init and builds what keeps it out of every log line and HTTP answer: a masked
 * form to show, an id to key shared state by, and a scrubber for any text a server sends back
 * (Slack's 404 page echoes the path: `Cannot POST /services/T000/B000/<token>`).
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '@veba-functions/runtime';

/** A checked destination. */
export interface Destination {
  /** The URL to POST to. Secret. */
  readonly url: URL;
  /** Scheme, host and first path segment: safe to log (`https://hooks.slack.com/services/***`). */
  readonly masked: string;
  /** A stable, non-reversible id of the URL (16 hex digits): keys shared state such as pacing. */
  readonly id: string;
  /** Replaces every secret part of the URL in `text`, plain, URL-encoded or base64. */
  scrub(text: string): string;
}

/** Options of {@link parseDestination}. */
export interface ParseDestinationOptions {
  /** The configuration key, for error messages (`SLACK_WEBHOOK_URL`). */
  key: string;
  /** Where the value came from, for error messages (`env SLACK_WEBHOOK_URL`). */
  from: string;
  /** A further check (e.g. a retired URL family): return the reason to refuse it, or undefined. */
  refuse?: (url: URL) => string | undefined;
  /** Further secrets sent to this destination (a routing key in the body, signing secrets). */
  secrets?: readonly string[];
  /** Whether the URL itself is a secret (a webhook). Default true; PagerDuty's events URL is not. */
  urlIsSecret?: boolean;
}

/** Options of {@link destinationOf}. */
export interface DestinationOfOptions {
  /** Further secrets: part of the id, scrubbed from server text in every form. */
  secrets?: readonly string[];
  /** Whether the URL itself is a secret. Default true. */
  urlIsSecret?: boolean;
}

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|\[::1\]|localhost)$/i;

/**
 * Checks a destination URL: an `https` URL (plain `http` only to a loopback address, for a local
 * relay or a test receiver), without a user name or password (a webhook authenticates by its
 * path; `user:password@` in it means a wrong value, and fetch refuses such URLs on every request).
 *
 * @throws ConfigError naming the key and where it came from, never the value.
 * @example
 * const destination = parseDestination(url, { key: 'SLACK_WEBHOOK_URL', from: 'env SLACK_WEBHOOK_URL' });
 */
export function parseDestination(raw: string, options: ParseDestinationOptions): Destination {
  const fail = (reason: string): ConfigError =>
    new ConfigError([`${options.key}: invalid (from ${options.from}): ${reason}`]);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw fail('expected an http(s) URL: https, or http to a loopback address');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw fail('expected an http(s) URL: https, or http to a loopback address');
  }
  if (url.hostname === '') throw fail('expected an http(s) URL with a host name');
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    throw fail('expected an https URL (plain http is accepted only for a loopback address)');
  }
  if (url.username !== '' || url.password !== '') {
    throw fail(
      'the URL contains a user name or password (user:password@host): remove it, the webhook path carries the credential',
    );
  }
  const refused = options.refuse?.(url);
  if (refused !== undefined) throw fail(refused);
  return destinationOf(url, {
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.urlIsSecret !== undefined ? { urlIsSecret: options.urlIsSecret } : {}),
  });
}

/**
 * A {@link Destination} over an already checked URL. Its id covers the further secrets too: two
 * PagerDuty routing keys on one events URL are two destinations (two pacing buckets).
 */
export function destinationOf(url: URL, options: DestinationOfOptions = {}): Destination {
  const extra = (options.secrets ?? []).filter((secret) => secret.length > 0);
  const secrets = [
    ...new Set([
      ...(options.urlIsSecret === false ? [] : secretParts(url)),
      ...extra.flatMap(forms),
    ]),
  ].sort((a, b) => b.length - a.length);
  const identity = [url.href, ...extra].join('\n');
  return {
    url,
    masked: options.urlIsSecret === false ? url.href : maskUrl(url),
    id: createHash('sha256').update(identity).digest('hex').slice(0, 16),
    scrub: (text) => {
      let out = text;
      for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('***');
      return out;
    },
  };
}

/**
 * Masks the secret part of a URL: scheme, host and the first path segment remain.
 *
 * @example maskUrl(new URL('https://hooks.slack.com/services/T0/B0/XYZ')) // 'https://hooks.slack.com/services/***'
 */
export function maskUrl(url: URL): string {
  const first = url.pathname.split('/').find((segment) => segment !== '');
  return `${url.protocol}//${url.host}/${first ? `${first}/` : ''}***`;
}

/**
 * Every secret part of a URL, longest first, each as it may appear in a server's text: plain,
 * URL-encoded, and base64 (standard and URL-safe). Parts: the whole URL, the path, the path after
 * its first segment, the last segment, every path segment that looks like a token (8+ characters
 * with a digit), the query and every query value.
 */
function secretParts(url: URL): string[] {
  const parts = new Set<string>();
  const add = (value: string, min = 4): void => {
    if (value.length >= min) parts.add(value);
  };
  add(url.href);
  add(`${url.origin}${url.pathname}`);
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  add(url.pathname, 2);
  add(`/${segments.slice(1).join('/')}`);
  const last = segments.at(-1);
  if (last !== undefined) add(last);
  for (const segment of segments) if (segment.length >= 8 && /\d/.test(segment)) add(segment);
  add(url.search);
  add(url.search.slice(1));
  for (const value of url.searchParams.values()) add(value);
  return [...parts].flatMap(forms);
}

/** A secret as it may appear in a server's text: plain, URL-encoded, decoded, base64. */
function forms(part: string): string[] {
  const out = new Set<string>([part, encodeURIComponent(part), encodeURI(part)]);
  let decoded = part;
  try {
    decoded = decodeURIComponent(part);
  } catch {
    // not percent-encoded: the plain form is there already
  }
  out.add(decoded);
  for (const form of [part, decoded]) {
    const base64 = Buffer.from(form, 'utf8').toString('base64');
    out.add(base64);
    out.add(base64.replace(/=+$/, ''));
    out.add(Buffer.from(form, 'utf8').toString('base64url'));
  }
  return [...out].filter((form) => form.length >= 4);
}
