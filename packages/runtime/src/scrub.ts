/**
 * Secret scrubbing: every textual form a secret value can take in a log line or an error reason,
 * replaced by `[REDACTED]` with one pass over the text whatever the number of forms.
 */

export const REDACTED = '[REDACTED]';
/** Values shorter than this are not scrubbed by value: replacing "1" everywhere would wreck every line. */
export const MIN_SCRUB_LENGTH = 3;
/**
 * Derived forms (a URL's path or query, a base64 fragment) shorter than this are not scrubbed:
 * they are pieces of a secret, and a short piece (`/api`, `abcd`) matches ordinary text.
 */
export const MIN_PART_LENGTH = 8;

/** A value as it appears in text: as is, JSON-escaped once and twice, and URL-encoded. */
function addEncodings(forms: Set<string>, value: string): void {
  forms.add(value);
  const escaped = JSON.stringify(value).slice(1, -1);
  forms.add(escaped);
  forms.add(JSON.stringify(escaped).slice(1, -1));
  try {
    forms.add(encodeURIComponent(value));
  } catch {
    // lone surrogates cannot be URL-encoded; the other forms still apply
  }
}

/**
 * The base64 of a secret as it appears inside a longer base64 text (a Basic `user:password`
 * token, a JSON blob encoded whole): base64 maps 3 bytes to 4 characters, so the secret's
 * characters depend on where it starts modulo 3. For each of the three alignments, the
 * characters that mix in the neighbours' bits are trimmed at both ends; what is left appears in
 * any base64 text that holds the secret at that alignment. Plus the URL-safe alphabet
 * (base64url, JWTs) and the URL-encoded standard form.
 */
function addBase64Forms(forms: Set<string>, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    // Characters are 6 bits: skip those holding any bit of the `shift` padding bytes, and stop
    // before the first one that would hold a bit of whatever follows the secret.
    const start = Math.ceil((shift * 8) / 6);
    const end = Math.floor(((shift + bytes.length) * 8) / 6);
    const form = encoded.slice(start, end);
    if (form.length < MIN_PART_LENGTH) continue;
    forms.add(form);
    forms.add(form.replace(/\+/g, '-').replace(/\//g, '_'));
    forms.add(encodeURIComponent(form));
  }
}

/**
 * Parts of a secret URL (a Slack or Teams webhook, a Redis URL with a password) that vendors
 * echo on their own: the path (`Cannot POST /services/T000/B000/XXXX`), its last segment (the
 * token), the query and each query value, and the password of the userinfo.
 */
function urlParts(value: string): string[] {
  if (!/^[a-z][a-z0-9+.-]*:\/\/./i.test(value)) return [];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [];
  }
  // The password is the secret itself: scrubbed at the length of any secret value.
  const parts: string[] =
    url.password.length >= MIN_SCRUB_LENGTH ? [url.password, safeDecode(url.password)] : [];
  const pieces: string[] = [];
  if (url.search.length > 1) pieces.push(url.search.slice(1), ...url.searchParams.values());
  if (url.pathname !== '/') {
    const path = url.pathname;
    const last = path.slice(path.lastIndexOf('/', path.length - 2) + 1).replace(/\/$/, '');
    pieces.push(path, safeDecode(path), last, safeDecode(last));
  }
  pieces.push(url.href);
  for (const piece of pieces)
    if (piece.length >= MIN_PART_LENGTH && piece !== value) parts.push(piece);
  return parts;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The items of a secret that is a whitespace-separated list (key rotation: `WEBHOOK_SECRET="whsec_a
 * whsec_b"`): a function logs or echoes one item, not the whole list, so each is a secret too.
 */
function listParts(value: string): string[] {
  const items = value.trim().split(/\s+/);
  return items.length > 1 ? items.filter((item) => item.length >= MIN_PART_LENGTH) : [];
}

/** Every form of every secret value, longest first, so a secret that contains another wins. */
export function secretForms(values: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const whole of values) {
    if (whole.length < MIN_SCRUB_LENGTH) continue;
    for (const value of [whole, ...listParts(whole)]) {
      addEncodings(forms, value);
      addBase64Forms(forms, value);
      for (const part of urlParts(value)) addEncodings(forms, part);
    }
  }
  return [...forms]
    .filter((form) => form.length >= MIN_SCRUB_LENGTH)
    .sort((a, b) => b.length - a.length);
}

/**
 * Replaces every occurrence of any form in one pass: a 64 KiB bitmap of the forms' first two
 * characters rejects almost every position with one array read, and only positions that pass
 * are compared with the forms starting with those two characters. Overlapping and adjacent
 * matches merge, so a secret is never left half-visible because a shorter one matched first (a
 * regular expression's alternation would resume after the shorter match).
 */
function createMatcher(forms: readonly string[]): (text: string) => string {
  const filter = new Uint8Array(65536);
  const byPair = new Map<number, string[]>();
  for (const form of forms) {
    const first = form.charCodeAt(0);
    const second = form.charCodeAt(1);
    filter[((first & 0xff) << 8) | (second & 0xff)] = 1;
    const key = first * 65536 + second;
    const list = byPair.get(key);
    if (list === undefined) byPair.set(key, [form]);
    else list.push(form); // forms arrive longest first, and stay so
  }
  return (text) => {
    const length = text.length;
    let out = '';
    let copied = 0;
    let regionStart = -1;
    let regionEnd = -1;
    let previous = text.charCodeAt(0);
    for (let i = 0; i + 1 < length; i++) {
      const current = text.charCodeAt(i + 1);
      if (filter[((previous & 0xff) << 8) | (current & 0xff)] === 1) {
        const candidates = byPair.get(previous * 65536 + current);
        if (candidates !== undefined) {
          for (const form of candidates) {
            if (!text.startsWith(form, i)) continue;
            const end = i + form.length;
            if (regionStart !== -1 && i <= regionEnd) {
              if (end > regionEnd) regionEnd = end;
            } else {
              if (regionStart !== -1) {
                out += text.slice(copied, regionStart) + REDACTED;
                copied = regionEnd;
              }
              regionStart = i;
              regionEnd = end;
            }
            break;
          }
        }
      }
      previous = current;
    }
    if (regionStart === -1) return text;
    return out + text.slice(copied, regionStart) + REDACTED + text.slice(regionEnd);
  };
}

/**
 * Replaces every form of every secret value in `text` with `[REDACTED]`: as is, JSON-escaped,
 * URL-encoded, base64 (at any alignment, standard and URL-safe), and for a URL its password,
 * path, last path segment and query on their own.
 *
 * @example
 * const scrub = createScrubber([config.SLACK_WEBHOOK_URL]);
 * logger.warn(scrub(`Slack answered: ${text}`));
 */
export function createScrubber(values: readonly string[]): (text: string) => string {
  const forms = secretForms(values);
  if (forms.length === 0) return (text) => text;
  const replace = createMatcher(forms);
  // Most lines hold no secret. An alternation of every form answers "any secret here?" fastest
  // while there are few forms (V8 scans for it natively: ~0.2 µs for a 300-character line and 20
  // secrets, some 90 forms, where the exact pass takes ~0.5 µs), but its cost grows with the
  // forms (~2 ns each) and the exact pass's does not: past ~160 forms the exact pass alone wins.
  if (forms.length > DETECTOR_MAX_FORMS) return replace;
  const detector = new RegExp(forms.map(escapeRegExp).join('|'));
  return (text) => (detector.test(text) ? replace(text) : text);
}

const DETECTOR_MAX_FORMS = 160;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
