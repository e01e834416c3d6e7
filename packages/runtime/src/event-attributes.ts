/**
 * The CloudEvents 1.0 attribute rules, in one place, for every content mode: binary mode (the
 * broker's, and the hot path) and structured and batch mode apply exactly these, so an event is
 * valid or not whatever way it arrives. Written as plain code rather than the SDK's ajv schema:
 * about twice as fast, and it refuses what the SDK lets through (an extension named `my_ext`,
 * `time: "yesterday"`, a lone surrogate in an id).
 *
 * Rules (https://github.com/cloudevents/spec/blob/main/cloudevents/spec.md):
 * - `specversion` is `1.0`; `id`, `source` and `type` are non-empty strings;
 * - `source` is a URI-reference and `dataschema` an absolute URI (RFC 3986);
 * - `time` is an RFC 3339 timestamp; `subject`, when present, a non-empty string;
 * - `datacontenttype` is a media type (RFC 2046: `type/subtype`, parameters allowed);
 * - every other attribute is an extension: its name is lower-case a-z and 0-9 ("Naming
 *   Conventions"), never `data` (reserved), and its value a String, Boolean or Integer
 *   (-2^31..2^31-1) of the spec's type system;
 * - every String is well-formed Unicode without control characters (U+0000-U+001F,
 *   U+007F-U+009F), unpaired surrogates or noncharacters ("Type System");
 * - the 0.3 attributes `schemaurl` and `datacontentencoding` are refused on a 1.0 event.
 */

/** Attributes the spec defines (everything else is an extension). */
const CORE = new Set([
  'id',
  'source',
  'type',
  'specversion',
  'time',
  'subject',
  'dataschema',
  'datacontenttype',
]);

const ATTRIBUTE_NAME = /^[a-z0-9]+$/;

/** Why `name` is not an attribute name the spec allows (lower-case a-z and 0-9), or undefined. */
export function attributeNameProblem(name: string): string | undefined {
  return ATTRIBUTE_NAME.test(name)
    ? undefined
    : `invalid attribute name ${JSON.stringify(name)}: names are lower-case letters a-z and digits only`;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const FORBIDDEN_CHARACTER = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/u;

/** Why a string is not a CloudEvents String (or undefined when it is one). */
export function stringProblem(value: string): string | undefined {
  // Nearly every attribute is printable ASCII: one cheap test decides.
  if (PRINTABLE_ASCII.test(value)) return undefined;
  const found = FORBIDDEN_CHARACTER.exec(value);
  if (found === null) return undefined;
  const code = found[0].codePointAt(0)!;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (code >= 0xd800 && code <= 0xdfff)
    return `holds an unpaired surrogate ${hex} (not well-formed Unicode)`;
  if (code <= 0x9f) return `holds the control character ${hex}`;
  return `holds the noncharacter ${hex}`;
}

/**
 * Why a set of attributes is not a valid CloudEvents 1.0 event, or undefined. `attrs` holds the
 * attributes only: in structured mode the caller leaves out the `data` / `data_base64` members
 * and JSON `null`s (which the JSON format defines as "not set"). `stringsChecked` says every
 * string value is already known to be a valid String (binary mode: header values that needed no
 * decoding are printable ASCII, and decoded ones went through {@link stringProblem}), which
 * saves a scan per attribute on the broker's path.
 */
export function attributeProblem(
  attrs: Record<string, unknown>,
  stringsChecked = false,
): string | undefined {
  const specversion = attrs.specversion;
  if (specversion === undefined || specversion === '')
    return 'missing required attribute specversion';
  if (specversion !== '1.0')
    return `unsupported specversion ${JSON.stringify(specversion)} (only "1.0" is accepted)`;
  for (const name of REQUIRED) {
    const value = attrs[name];
    if (value === undefined || value === '') return `missing required attribute ${name}`;
    if (typeof value !== 'string') return `attribute ${name} must be a string`;
  }
  for (const name in attrs) {
    const value = attrs[name];
    if (value === undefined || name === 'specversion') continue;
    const problem = CORE.has(name)
      ? coreProblem(name, value, stringsChecked)
      : extensionProblem(name, value, stringsChecked);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

const REQUIRED = ['id', 'source', 'type'] as const;

function coreProblem(name: string, value: unknown, stringsChecked: boolean): string | undefined {
  if (typeof value !== 'string') return `attribute ${name} must be a string`;
  if (name === 'datacontenttype') {
    // The media-type grammar admits printable ASCII only: no separate String check needed.
    if (value === lastMediaType || isMediaType(value)) {
      lastMediaType = value;
      return undefined;
    }
    return `attribute datacontenttype is not a media type (type/subtype): ${JSON.stringify(value)}`;
  }
  if (!stringsChecked) {
    const text = stringProblem(value);
    if (text !== undefined) return `attribute ${name} ${text}`;
  }
  switch (name) {
    case 'source':
      if (value === lastSource) return undefined;
      return checked(uriProblem(value, false), name, () => (lastSource = value));
    case 'time':
      return isTimestamp(value)
        ? undefined
        : `attribute time is not an RFC 3339 timestamp (e.g. 2021-09-27T19:02:54.063Z): ${JSON.stringify(value)}`;
    case 'dataschema':
      if (value === '') return 'attribute dataschema must not be empty';
      return checked(uriProblem(value, true), name);
    case 'subject':
      return value === '' ? 'attribute subject must not be empty when present' : undefined;
    default:
      return undefined;
  }
}

// A function sees the same source and content type event after event: the last valid ones are
// remembered, so the URI and media-type checks run once per new value.
let lastSource: string | undefined;
let lastMediaType: string | undefined;

function checked(
  problem: string | undefined,
  name: string,
  onValid?: () => void,
): string | undefined {
  if (problem === undefined) {
    onValid?.();
    return undefined;
  }
  return `attribute ${name} ${problem}`;
}

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

function extensionProblem(
  name: string,
  value: unknown,
  stringsChecked: boolean,
): string | undefined {
  if (name === 'data')
    return 'data is not an attribute: the name is reserved for the event payload (in binary mode the body)';
  if (name === 'schemaurl' || name === 'datacontentencoding')
    return `${name} is a CloudEvents 0.3 attribute, not allowed with specversion 1.0${name === 'schemaurl' ? ' (use dataschema)' : ''}`;
  const badName = attributeNameProblem(name);
  if (badName !== undefined) return badName;
  if (typeof value === 'string') {
    const text = stringsChecked ? undefined : stringProblem(value);
    return text === undefined ? undefined : `attribute ${name} ${text}`;
  }
  if (typeof value === 'boolean') return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) {
    return value >= INT32_MIN && value <= INT32_MAX
      ? undefined
      : `attribute ${name} is outside the Integer range (-2147483648 to 2147483647)`;
  }
  return `attribute ${name} must be a string, a boolean or an integer`;
}

const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?: *;[\x20-\x7e]*)?$/;

/** `type/subtype` with optional parameters (RFC 2046, RFC 9110 token syntax), printable ASCII. */
export function isMediaType(value: string): boolean {
  return MEDIA_TYPE.test(value);
}

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const code = text.charCodeAt(i) - 0x30;
    if (code < 0 || code > 9) return -1;
    value = value * 10 + code;
  }
  return value;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * RFC 3339 `date-time` (section 5.6): `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, `t`/`z` in either
 * case, calendar-checked. A leap second (`:60`) is refused: JavaScript dates cannot hold one, and
 * the SDK's `toJSON()` would throw on it later.
 */
export function isTimestamp(text: string): boolean {
  if (text.length < 20) return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (
    year < 0 ||
    text.charCodeAt(4) !== 0x2d ||
    text.charCodeAt(7) !== 0x2d ||
    (text.charCodeAt(10) | 0x20) !== 0x74 /* T or t */ ||
    text.charCodeAt(13) !== 0x3a ||
    text.charCodeAt(16) !== 0x3a ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(year, month) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  )
    return false;
  let i = 19;
  if (text.charCodeAt(i) === 0x2e /* . */) {
    const start = ++i;
    while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    if (i === start) return false;
  }
  const zone = text.charCodeAt(i);
  if ((zone | 0x20) === 0x7a /* Z or z */) return i + 1 === text.length;
  if (zone !== 0x2b && zone !== 0x2d) return false;
  if (i + 6 !== text.length || text.charCodeAt(i + 3) !== 0x3a) return false;
  const offsetHour = digits(text, i + 1, 2);
  const offsetMinute = digits(text, i + 4, 2);
  return offsetHour >= 0 && offsetHour <= 23 && offsetMinute >= 0 && offsetMinute <= 59;
}

/** RFC 3986 characters: unreserved, gen-delims, sub-delims and `%` (checked for two hex digits). */
const URI_CHARACTER = (() => {
  const table = new Uint8Array(128);
  const allowed =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%";
  for (const char of allowed) table[char.charCodeAt(0)] = 1;
  return table;
})();
const HEX = /^[0-9A-Fa-f]{2}$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const PORT = /^[0-9]*$/;

/**
 * Why `value` is not a URI-reference (RFC 3986 section 4.1), or with `absolute` not a URI
 * (section 4.3: a scheme is required); undefined when it is one. Checks the character set,
 * percent-encoding, the scheme, where `#`, `[`, `]` and `:` may appear, and the port.
 */
export function uriProblem(value: string, absolute: boolean): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 128 || URI_CHARACTER[code] === 0)
      return `is not a URI${absolute ? '' : '-reference'}: ${JSON.stringify(value.charAt(i))} must be percent-encoded`;
    if (code === 0x25 && !HEX.test(value.slice(i + 1, i + 3)))
      return 'has a "%" that does not start a percent-encoded byte';
  }
  const hash = value.indexOf('#');
  const beforeFragment = hash === -1 ? value : value.slice(0, hash);
  if (hash !== -1 && /[#[\]]/.test(value.slice(hash + 1)))
    return 'has "#", "[" or "]" in its fragment';
  const question = beforeFragment.indexOf('?');
  const hier = question === -1 ? beforeFragment : beforeFragment.slice(0, question);
  if (question !== -1 && /[[\]]/.test(beforeFragment.slice(question + 1)))
    return 'has "[" or "]" in its query';
  const scheme = SCHEME.exec(hier);
  if (scheme === null) {
    if (absolute) return 'is not an absolute URI (no scheme)';
    const firstSegment = hier.startsWith('//') ? '' : hier.split('/', 1)[0]!;
    if (firstSegment.includes(':'))
      return 'is not a URI-reference: a relative reference cannot have ":" in its first segment';
  }
  const rest = scheme === null ? hier : hier.slice(scheme[0].length);
  if (!rest.startsWith('//')) {
    return /[[\]]/.test(rest) ? 'has "[" or "]" outside an IP literal host' : undefined;
  }
  const slash = rest.indexOf('/', 2);
  const authority = rest.slice(2, slash === -1 ? rest.length : slash);
  if (slash !== -1 && /[[\]]/.test(rest.slice(slash))) return 'has "[" or "]" in its path';
  const at = authority.lastIndexOf('@');
  if (at !== -1 && /[@[\]]/.test(authority.slice(0, at))) return 'has an invalid userinfo';
  const hostPort = authority.slice(at + 1);
  let port: string;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close === -1 || /[[\]]/.test(hostPort.slice(1, close)))
      return 'has an unterminated IP literal host';
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return 'has text after its IP literal host';
    port = after.slice(1);
  } else {
    if (/[[\]]/.test(hostPort)) return 'has "[" or "]" outside an IP literal host';
    const colon = hostPort.lastIndexOf(':');
    port = colon === -1 ? '' : hostPort.slice(colon + 1);
  }
  return PORT.test(port) ? undefined : `has an invalid port ${JSON.stringify(port)}`;
}
