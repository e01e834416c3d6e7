import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '@veba-functions/runtime';
import { defaultIdentity, vcenterEventKey } from '../src/event-fields.js';
import { MAX_KEY_PART, dedupeKey, fingerprint, keyPart, orderKey } from '../src/keys.js';
import { legacyEvent, vsphereEvent } from './support.js';

describe('keys', () => {
  it('bounds the key length whatever the event holds', () => {
    const key = dedupeKey('fn', `https://${'a'.repeat(5000)}/sdk`, 'x'.repeat(10_000));
    expect(key.length).toBeLessThan(200);
    expect(key).toMatch(/^dedupe:fn:#[0-9a-f]{64}:#[0-9a-f]{64}$/);
    expect(keyPart('a'.repeat(MAX_KEY_PART))).toBe('a'.repeat(MAX_KEY_PART));
  });

  it('cannot make two identities collide through separators', () => {
    expect(dedupeKey('fn', 'a:b', 'c')).not.toBe(dedupeKey('fn', 'a', 'b:c'));
    expect(orderKey('f:n', 's')).not.toBe(orderKey('f', 'n:s'));
    expect(keyPart('#abc')).not.toBe('#abc');
  });

  it('fingerprints payloads independently of key order', () => {
    expect(fingerprint({ a: 1, b: { c: [1, 2] } })).toBe(fingerprint({ b: { c: [1, 2] }, a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
    expect(fingerprint(undefined)).toBe(fingerprint(undefined));
  });
});

describe('identity and event key', () => {
  it('uses (source, id) for current events and (source, Key) for legacy router events', () => {
    expect(defaultIdentity(vsphereEvent(5, { id: 'abc' }))).toEqual({
      source: 'https://vcsa.corp.local/sdk',
      id: 'abc',
    });
    expect(defaultIdentity(legacyEvent(5, 'random-uuid'))).toEqual({
      source: 'https://vcsa.corp.local/sdk',
      id: '5',
    });
    expect(defaultIdentity(legacyEvent(undefined, 'random-uuid'))).toBeUndefined();
  });

  it('reads data.Key with the one Key parser (int32), undefined when absent', () => {
    expect(vcenterEventKey(vsphereEvent(12))).toBe(12);
    expect(vcenterEventKey(vsphereEvent(0, {}, { Key: '12' }))).toBe(12);
    expect(vcenterEventKey(vsphereEvent(0, {}, { Key: undefined }))).toBeUndefined();
    expect(vcenterEventKey(vsphereEvent(0, {}, { Key: null }))).toBeUndefined();
    expect(vcenterEventKey({ ...vsphereEvent(1), data: 'not json' })).toBeUndefined();
  });

  it.each([
    1.5,
    -1,
    '1e3',
    ' 12',
    'abc',
    {},
    2 ** 31,
    Number.MAX_SAFE_INTEGER,
    '99999999999999999',
  ])('refuses a present but unusable Key %j with InvalidEventError (400)', (Key) => {
    expect(() => vcenterEventKey(vsphereEvent(0, {}, { Key }))).toThrow(InvalidEventError);
  });

  it('makes a key part of any string, lone surrogates included', () => {
    expect(keyPart('\ud800abc')).toMatch(/^#u[0-9a-f]{64}$/);
    expect(keyPart('\ud800abc')).not.toBe(keyPart('\udc00abc'));
  });
});
