/**
 * Cutting text to a size without breaking it: every renderer counts differently (Slack and
 * Google Chat limits are in characters, Teams' in bytes of the whole JSON), but all of them must
 * never split a surrogate pair or an escape entity.
 */

const ELLIPSIS = '…';

/**
 * Encodes `raw` with `encode` (per code point) and cuts the result to at most `max` UTF-16 code
 * units, ending with an ellipsis when cut. Never splits a surrogate pair or an encoded unit (so
 * `&amp;` stays whole).
 *
 * @example fitText('a&b', 10, escapeHtml) // 'a&amp;b'
 */
export function fitText(raw: string, max: number, encode: (codePoint: string) => string): string {
  if (max <= 0) return '';
  const whole = encode(raw);
  if (whole.length <= max) return whole;
  if (max < ELLIPSIS.length) return '';
  const budget = max - ELLIPSIS.length;
  let out = '';
  // Iterating a string yields whole code points; encoding each one as a unit keeps entities whole.
  for (const codePoint of raw) {
    const piece = encode(codePoint);
    if (out.length + piece.length > budget) break;
    out += piece;
  }
  return out + ELLIPSIS;
}

/** Cuts plain text (no escaping) to at most `max` UTF-16 code units, without splitting a code point. */
export function truncateText(raw: string, max: number): string {
  return fitText(raw, max, identity);
}

/**
 * Escapes the three characters that make markup in Slack mrkdwn and in Google Chat card text
 * (both treat `<...>` as a link, a mention or a tag, and `&` as an entity).
 *
 * @example escapeAngles('a <b> & c') // 'a &lt;b&gt; &amp; c'
 */
export function escapeAngles(raw: string): string {
  return raw.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** The first non-empty line of a text, trimmed (vCenter messages may carry a change list below). */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? text.trim()
  );
}

/** `DrsVmPoweredOnEvent` -> `Drs Vm Powered On Event`, for classes without a title of their own. */
export function words(eventClass: string): string {
  return eventClass.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
}

function identity(codePoint: string): string {
  return codePoint;
}
