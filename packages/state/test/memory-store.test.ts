import { describe, expect, it } from 'vitest';
import { createMemoryStateStore } from '../src/memory-store.js';
import { captureLogger } from './support.js';

const req = (owner: string) => ({ owner, leaseMs: 1000, ttlMs: 10_000, fingerprint: 'fp' });

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('memory store', () => {
  it('logs once at start that dedupe and ordering are per instance', async () => {
    const logger = captureLogger();
    const store = createMemoryStateStore({ logger });
    await store.start();
    await store.start();
    expect(logger.messages('info')).toEqual([expect.stringContaining('per instance')]);
  });

  it('stays within maxEntries, evicting the least recently used 10 % at a time, and warns once', async () => {
    const logger = captureLogger();
    const store = createMemoryStateStore({ logger, maxEntries: 100 });
    for (let i = 0; i < 100; i++) await store.claim(`k${i}`, req('a'));
    // Touch k0 so it is the most recently used.
    expect((await store.claim('k0', req('b'))).status).toBe('in_progress');
    for (let i = 100; i < 150; i++) {
      await store.claim(`k${i}`, req('a'));
      expect(store.size).toBeLessThanOrEqual(100);
    }
    expect(store.size).toBeGreaterThanOrEqual(90);
    expect((await store.claim('k0', req('b'))).status).toBe('in_progress');
    expect((await store.claim('k1', req('b'))).status).toBe('claimed');
    expect(logger.messages('warn')).toEqual([expect.stringContaining('full')]);
  });

  it('records a completion whose claim was evicted, so its redelivery is a duplicate (issue 9)', async () => {
    const store = createMemoryStateStore({ logger: captureLogger(), maxEntries: 10 });
    await store.claim('evicted', req('a'));
    for (let i = 0; i < 10; i++) await store.claim(`other${i}`, req('a'));
    expect(await store.complete('evicted', 'a', 10_000, 'fp')).toBe('recreated');
    expect(await store.claim('evicted', req('b'))).toEqual({
      status: 'completed',
      fingerprint: 'fp',
    });
  });

  it('counts marks and records against the same bound', async () => {
    const store = createMemoryStateStore({ logger: captureLogger(), maxEntries: 10 });
    for (let i = 0; i < 30; i++) {
      await store.advanceMark(`s${i}`, i, 10_000);
      await store.claim(`r${i}`, req('a'));
    }
    expect(store.size).toBeLessThanOrEqual(10);
    expect(await store.getMark('s29')).toBe(29);
    expect(await store.getMark('s0')).toBeUndefined();
  });

  it('expires records and marks by TTL', async () => {
    const c = clock();
    const store = createMemoryStateStore({ logger: captureLogger(), now: c.now });
    await store.claim('k', req('a'));
    await store.complete('k', 'a', 5000);
    await store.advanceMark('s', 9, 5000);
    c.advance(4999);
    expect((await store.claim('k', req('b'))).status).toBe('completed');
    expect(await store.getMark('s')).toBe(9);
    c.advance(1);
    expect((await store.claim('k', req('b'))).status).toBe('claimed');
    expect(await store.getMark('s')).toBeUndefined();
  });

  it('evicts expired entries silently', async () => {
    const c = clock();
    const logger = captureLogger();
    const store = createMemoryStateStore({ logger, maxEntries: 10, now: c.now });
    for (let i = 0; i < 10; i++) await store.advanceMark(`old${i}`, i, 100);
    c.advance(200);
    for (let i = 0; i < 10; i++) await store.advanceMark(`new${i}`, i, 100);
    expect(store.size).toBe(10);
    for (let i = 0; i < 10; i++) expect(await store.getMark(`new${i}`)).toBe(i);
    expect(logger.messages('warn')).toEqual([]);
  });

  it('takes over at exactly the lease end', async () => {
    const c = clock();
    const store = createMemoryStateStore({ logger: captureLogger(), now: c.now });
    await store.claim('k', req('a'));
    c.advance(999);
    expect(await store.claim('k', req('b'))).toMatchObject({
      status: 'in_progress',
      retryAfterMs: 1,
    });
    c.advance(1);
    expect(await store.claim('k', req('b'))).toEqual({
      status: 'claimed',
      takeover: true,
      previousOwner: 'a',
    });
  });

  it('keeps the newest entry even with maxEntries 1', async () => {
    const store = createMemoryStateStore({ logger: captureLogger(), maxEntries: 1 });
    await store.claim('a', req('x'));
    await store.claim('b', req('x'));
    expect(store.size).toBe(1);
    expect((await store.claim('b', req('y'))).status).toBe('in_progress');
  });

  it('rejects a maxEntries that is not a positive integer', () => {
    expect(() => createMemoryStateStore({ logger: captureLogger(), maxEntries: 0 })).toThrow(
      RangeError,
    );
  });
});
