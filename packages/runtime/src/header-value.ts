/**
 * Decoding of binary-mode `ce-*` header values, as the CloudEvents HTTP binding (section 3.1.3.2,
 * https://github.com/cloudevents/spec/blob/main/cloudevents/bindings/http-protocol-binding.md)
 * says: unquote a double-quoted value (RFC 7230 quoted-string, backslash escapes), then one round
 * of percent-decoding, and refuse byte sequences that are not valid UTF-8 ("MUST be rejected";
 * e.g. the overlong `%C0%A0`). Node hands header values over as latin1 text, so raw non-ASCII
 * bytes (a sender that did not percent-encode) are read as the UTF-8 they are, under the same
 * validity rule.
 */

/** Anything but printable ASCII without `"` and `%`: such values need no decoding (the usual case). */
const NEEDS_DECODING = /[^ !#$&-~]/;

/**
 * Whether {@link decodeHeaderValue} would change `value` (or refuse it). A value for which this
 * is false is printable ASCII, so also a valid CloudEvents String.
 */
export function needsDecoding(value: string): boolean {
  return NEEDS_DECODING.test(value);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** The decoded value, or undefined when it is not valid percent-encoded UTF-8. */
export function decodeHeaderValue(value: string): string | undefined {
  let text = value;
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    text = text.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  const bytes = new Uint8Array(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25 /* % */) {
      const high = hexValue(text.charCodeAt(i + 1));
      const low = hexValue(text.charCodeAt(i + 2));
      if (high < 0 || low < 0) return undefined;
      bytes[length++] = high * 16 + low;
      i += 2;
    } else {
      // latin1: one char per received byte
      bytes[length++] = code & 0xff;
    }
  }
  try {
    return utf8.decode(bytes.subarray(0, length));
  } catch {
    return undefined;
  }
}
