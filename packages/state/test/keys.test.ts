import type { CloudEvent } from '@veba-functions/runtime';
import { describe, expect, it } from 'vitest';
import { defaultIdentity, toEventKey, vcenterEventKey } from '../src/event-fields.js';
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

  it('reads integer keys only', () => {
    expect(toEventKey(12)).toBe(12);
    expect(toEventKey('12')).toBe(12);
    for (const bad of [
      1.5,
      -1,
      '1e3',
      '',
      ' 12',
      'abc',
      null,
      undefined,
      {},
      2 ** 60,
      '99999999999999999',
    ]) {
      expect(toEventKey(bad)).toBeUndefined();
    }
  });

  it('reads Key from a JSON string payload', () => {
    const event = { ...vsphereEvent(1), data: '{"Key": 77}' } as unknown as CloudEvent<unknown>;
    expect(vcenterEventKey(event)).toBe(77);
    expect(
      vcenterEventKey({ ...vsphereEvent(1), data: 'not json' } as unknown as CloudEvent<unknown>),
    ).toBeUndefined();
  });
});
