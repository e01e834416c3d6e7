import { describe, expect, it } from 'vitest';
import {
  attributeProblem,
  isMediaType,
  isTimestamp,
  stringProblem,
  uriProblem,
} from '../src/event-attributes.js';
import { decodeHeaderValue, needsDecoding } from '../src/header-value.js';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from '../src/json-depth.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('exceedsJsonDepth', () => {
  it('counts nesting outside strings only, escapes included', () => {
    expect(exceedsJsonDepth(bytes('[[[]]]'), 3)).toBe(false);
    expect(exceedsJsonDepth(bytes('[[[[]]]]'), 3)).toBe(true);
    expect(exceedsJsonDepth(bytes('{"a":{"b":[1,{"c":2}]}}'), 4)).toBe(false);
    expect(exceedsJsonDepth(bytes('{"a":{"b":[1,{"c":[]}]}}'), 4)).toBe(true);
    expect(exceedsJsonDepth(bytes(JSON.stringify({ s: '[[[[[[' })), 1)).toBe(false);
    expect(exceedsJsonDepth(bytes(JSON.stringify({ s: 'a\\"[[[[' })), 1)).toBe(false);
    expect(exceedsJsonDepth(bytes('{"s":"\\\\"}'), 1)).toBe(false);
    expect(exceedsJsonDepth(bytes('{"s":"\\\\","t":[[]]}'), 2)).toBe(true);
  });

  it('depth is siblings-independent and bounded at 64 by default', () => {
    expect(exceedsJsonDepth(bytes('[[],[],[[]]]'), 3)).toBe(false);
    const at = (n: number) => bytes('['.repeat(n) + ']'.repeat(n));
    expect(exceedsJsonDepth(at(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(exceedsJsonDepth(at(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    // Unterminated input does not throw or loop: JSON.parse reports it afterwards.
    expect(exceedsJsonDepth(bytes('["abc'), 1)).toBe(false);
    expect(exceedsJsonDepth(bytes('"\\'), 1)).toBe(false);
  });
});

describe('isTimestamp (RFC 3339 date-time)', () => {
  it.each([
    '2021-09-27T19:02:54Z',
    '2021-09-27T19:02:54.063Z',
    '2021-09-27t19:02:54.063123456z',
    '2021-09-27T19:02:54+02:00',
    '2024-02-29T00:00:00-23:59',
    '0000-01-01T00:00:00Z',
  ])('accepts %s', (value) => {
    expect(isTimestamp(value)).toBe(true);
    expect(Number.isNaN(new Date(value).getTime())).toBe(false);
  });

  it.each([
    'yesterday',
    '2021-09-27',
    '2021-09-27 19:02:54Z',
    '2021-09-27T19:02:54',
    '2021-13-01T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2021-04-31T00:00:00Z',
    '2021-09-27T24:00:00Z',
    '2021-09-27T19:60:00Z',
    '2016-12-31T23:59:60Z',
    '2021-09-27T19:02:54.Z',
    '2021-09-27T19:02:54+2:00',
    '2021-09-27T19:02:54+24:00',
    '2021-09-27T19:02:54Z ',
    '+2021-09-27T19:02:54Z',
  ])('refuses %s', (value) => {
    expect(isTimestamp(value)).toBe(false);
  });
});

describe('uriProblem (RFC 3986)', () => {
  it.each([
    'https://vcenter-01:443/sdk',
    'https://vc/sdk?a=b&c=%20#frag/?',
    'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66',
    'mailto:cncf-wg-serverless@lists.cncf.io',
    '/cloudevents/spec/pull/123',
    '1-555-123-4567',
    'https://[fe80::1%25eth0]:8443/x',
    '//host/path',
    'a/b:c',
    "https://user:p%40ss@host/x!$&'()*+,;=",
  ])('URI-reference: %s', (value) => {
    expect(uriProblem(value, false)).toBeUndefined();
  });

  it.each([
    ['https://vc 01/sdk', /" " must be percent-encoded/],
    ['https://vc/é', /"é" must be percent-encoded/],
    ['/a%2', /does not start a percent-encoded byte/],
    ['a:b/c', undefined],
    ['1:2', /first segment/],
    ['https://vc/a#b#c', /fragment/],
    ['https://vc/a?b[1]', /query/],
    ['https://vc/a[1]', /path/],
    ['https://[fe80::1/x', /unterminated IP literal/],
    ['https://vc:80a/', /invalid port/],
    ['https://[::1]x/', /text after its IP literal/],
    ['https://a[b]/', /outside an IP literal/],
    ['https://u@s@host/', /invalid userinfo/],
  ])('%s', (value, problem) => {
    const found = uriProblem(value, false);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });

  it('an absolute URI needs a scheme', () => {
    expect(uriProblem('https://vc/schema', true)).toBeUndefined();
    expect(uriProblem('urn:x', true)).toBeUndefined();
    expect(uriProblem('/schema', true)).toMatch(/no scheme/);
    expect(uriProblem('//vc/schema', true)).toMatch(/no scheme/);
  });
});

describe('stringProblem and isMediaType', () => {
  it('refuses control characters, unpaired surrogates and noncharacters; pairs are fine', () => {
    expect(stringProblem('plain ascii ~')).toBeUndefined();
    expect(stringProblem('café 😀')).toBeUndefined();
    expect(stringProblem('a\tb')).toMatch(/control character U\+0009/);
    expect(stringProblem('a\u0085b')).toMatch(/control character U\+0085/);
    expect(stringProblem('a\ud800b')).toMatch(/unpaired surrogate U\+D800/);
    expect(stringProblem('a\ude00')).toMatch(/unpaired surrogate U\+DE00/);
    expect(stringProblem('\ufdd0')).toMatch(/noncharacter U\+FDD0/);
    expect(stringProblem('\u{10ffff}')).toMatch(/noncharacter U\+10FFFF/);
  });

  it('media types are type/subtype with optional parameters', () => {
    expect(isMediaType('application/json')).toBe(true);
    expect(isMediaType('application/json; charset=utf-8')).toBe(true);
    expect(isMediaType('application/vnd.vmware+json')).toBe(true);
    expect(isMediaType('json')).toBe(false);
    expect(isMediaType('application/')).toBe(false);
    expect(isMediaType('application json')).toBe(false);
  });
});

describe('attributeProblem', () => {
  const base = { specversion: '1.0', id: '1', source: '/s', type: 't' };
  it('accepts the minimal event and names the first problem', () => {
    expect(attributeProblem(base)).toBeUndefined();
    expect(attributeProblem({ ...base, id: '' })).toBe('missing required attribute id');
    expect(attributeProblem({ ...base, specversion: undefined })).toBe(
      'missing required attribute specversion',
    );
    expect(attributeProblem({ ...base, flag: false, n: -2147483648 })).toBeUndefined();
    expect(attributeProblem({ ...base, n: 1.5 })).toMatch(
      /must be a string, a boolean or an integer/,
    );
    expect(attributeProblem({ ...base, datacontentencoding: 'base64' })).toMatch(/0\.3 attribute/);
  });
});

describe('decodeHeaderValue (HTTP binding 3.1.3.2)', () => {
  it('plain printable ASCII needs no decoding', () => {
    expect(needsDecoding('https://vcenter-01:443/sdk')).toBe(false);
    expect(needsDecoding('a%20b')).toBe(true);
    expect(needsDecoding('"quoted"')).toBe(true);
    expect(needsDecoding('tab\there')).toBe(true);
  });

  it('unquotes, percent-decodes once, accepts lower-case hex, refuses invalid UTF-8', () => {
    expect(decodeHeaderValue('Euro%20%E2%82%AC%20%F0%9F%98%80')).toBe('Euro € 😀');
    expect(decodeHeaderValue('%e2%82%ac')).toBe('€');
    expect(decodeHeaderValue('%2541')).toBe('%41');
    expect(decodeHeaderValue('"a \\"b\\" c"')).toBe('a "b" c');
    expect(decodeHeaderValue('%C0%A0')).toBeUndefined();
    expect(decodeHeaderValue('%ED%A0%80')).toBeUndefined();
    expect(decodeHeaderValue('%zz')).toBeUndefined();
    expect(decodeHeaderValue('50%')).toBeUndefined();
    expect(decodeHeaderValue(Buffer.from('café', 'utf8').toString('latin1'))).toBe('café');
    expect(decodeHeaderValue('\u00e9')).toBeUndefined();
  });
});
