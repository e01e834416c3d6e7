import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ClaimRequest, StateStore } from '../src/store.js';
import type { StoreKind } from './stores.js';
import { sleep } from './support.js';

const request = (owner: string, overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({
  owner,
  leaseMs: 10_000,
  ttlMs: 60_000,
  fingerprint: 'fp-1',
  ...overrides,
});

/**
 * The one behaviour suite every store passes. Each store kind has its own test file
 * (store-behaviour.<kind>.test.ts), so vitest runs the topologies side by side.
 */
export function describeStoreBehaviour(kind: StoreKind, more?: () => void): void {
  describe(`${kind.name} store behaviour`, () => {
    let store: StateStore;
    beforeAll(() => kind.setup());
    afterAll(() => kind.teardown());
    beforeEach(async () => {
      store = await kind.create();
    });

    it('claims a new identity once; a second claim sees it in progress', async () => {
      const first = await store.claim('k', request('a'));
      const second = await store.claim('k', request('b', { fingerprint: 'fp-2' }));
      expect(first).toEqual({ status: 'claimed', takeover: false });
      expect(second.status).toBe('in_progress');
      expect(second).toMatchObject({ fingerprint: 'fp-1' });
      expect(second.status === 'in_progress' && second.retryAfterMs).toBeGreaterThan(9_000);
    });

    it('gives exactly one claim among 50 concurrent attempts', async () => {
      const owners = Array.from({ length: 50 }, () => randomUUID());
      const results = await Promise.all(owners.map((o) => store.claim('race', request(o))));
      expect(results.filter((r) => r.status === 'claimed')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'in_progress')).toHaveLength(49);
    });

    it('answers completed after the owner completes, and keeps the fingerprint', async () => {
      await store.claim('k', request('a'));
      expect(await store.complete('k', 'a', 60_000)).toBe('completed');
      expect(await store.claim('k', request('b'))).toEqual({
        status: 'completed',
        fingerprint: 'fp-1',
      });
    });

    it('lets only the owner complete or release', async () => {
      await store.claim('k', request('a'));
      expect(await store.complete('k', 'intruder', 60_000)).toBe('taken_over');
      expect(await store.release('k', 'intruder')).toBe(false);
      expect((await store.claim('k', request('b'))).status).toBe('in_progress');
    });

    it('release lets a retry claim and run', async () => {
      await store.claim('k', request('a'));
      expect(await store.release('k', 'a')).toBe(true);
      expect(await store.claim('k', request('b'))).toEqual({ status: 'claimed', takeover: false });
      expect(await store.complete('k', 'b', 60_000)).toBe('completed');
    });

    it('a claim retried by the same owner gets its claim back', async () => {
      await store.claim('k', request('a'));
      expect(await store.claim('k', request('a'))).toEqual({ status: 'claimed', takeover: false });
    });

    it('takes over an expired lease; the old owner can then neither complete nor release', async () => {
      await store.claim('k', request('old', { leaseMs: 150 }));
      expect((await store.claim('k', request('new'))).status).toBe('in_progress');
      await sleep(300);
      expect(await store.claim('k', request('new'))).toEqual({
        status: 'claimed',
        takeover: true,
        previousOwner: 'old',
      });
      expect(await store.complete('k', 'old', 60_000)).toBe('taken_over');
      expect(await store.release('k', 'old')).toBe(false);
      // The new owner's claim is intact: still in progress for others, completable by it.
      expect((await store.claim('k', request('third'))).status).toBe('in_progress');
      expect(await store.complete('k', 'new', 60_000)).toBe('completed');
      expect((await store.claim('k', request('third'))).status).toBe('completed');
      // A completion arriving later still leaves the new owner's completed record alone.
      expect(await store.complete('k', 'old', 60_000, 'fp-old')).toBe('completed_by_other');
      expect(await store.claim('k', request('third'))).toEqual({
        status: 'completed',
        fingerprint: 'fp-1',
      });
      expect(await store.complete('k', 'new', 60_000)).toBe('completed');
    });

    it('never overwrites a completed record, even when its lease had expired before completion (Powertools #5714)', async () => {
      await store.claim('k', request('slow', { leaseMs: 150 }));
      await sleep(300);
      // Lease expired but nobody took over: the owner still holds it and may complete.
      expect(await store.complete('k', 'slow', 60_000)).toBe('completed');
      const attempts = await Promise.all(
        Array.from({ length: 20 }, () => store.claim('k', request(randomUUID(), { leaseMs: 1 }))),
      );
      expect(attempts.every((r) => r.status === 'completed')).toBe(true);
    });

    it.each([0, 1, 5, 10])(
      'a completion racing 10 takeovers of its expired lease (issued at position %i): one of them wins, never both',
      async (position) => {
        const key = `race-${position}`;
        await store.claim(key, request('slow', { leaseMs: 1 }));
        await sleep(10);
        const attempt = () => store.claim(key, request(randomUUID()));
        const before = Array.from({ length: position }, attempt);
        const completion = store.complete(key, 'slow', 60_000);
        const after = Array.from({ length: 10 - position }, attempt);
        const outcome = await completion;
        const completed = outcome === 'completed';
        const results = await Promise.all([...before, ...after]);
        const takeovers = results.filter((r) => r.status === 'claimed');
        if (completed) {
          expect(takeovers).toHaveLength(0);
          expect(results.slice(position).every((r) => r.status === 'completed')).toBe(true);
        } else {
          expect(takeovers).toHaveLength(1);
          expect(takeovers[0]).toMatchObject({ takeover: true, previousOwner: 'slow' });
        }
        // Commands run in the order issued (one connection / one thread), so the outcome is known.
        expect(outcome).toBe(position === 0 ? 'completed' : 'taken_over');
      },
    );

    it('a completion whose record vanished writes a completed record (issue 9)', async () => {
      // No record: what a claim looks like after Redis restarted or failed over without it.
      expect(await store.complete('gone', 'a', 60_000, 'fp-9')).toBe('recreated');
      expect(await store.claim('gone', request('b'))).toEqual({
        status: 'completed',
        fingerprint: 'fp-9',
      });
      expect(await store.complete('gone', 'a', 60_000)).toBe('completed');
      expect(await store.complete('gone', 'b', 60_000)).toBe('completed_by_other');
    });

    it('a completion retried by its owner (first reply lost) is still completed', async () => {
      await store.claim('k', request('a'));
      expect(await store.complete('k', 'a', 60_000)).toBe('completed');
      expect(await store.complete('k', 'a', 60_000)).toBe('completed');
    });

    it('forgets a completed record after its TTL, a recreated one too', async () => {
      await store.claim('k', request('a'));
      await store.complete('k', 'a', 200);
      expect(await store.complete('gone', 'a', 200)).toBe('recreated');
      expect((await store.claim('k', request('b'))).status).toBe('completed');
      expect((await store.claim('gone', request('b'))).status).toBe('completed');
      await sleep(350);
      expect(await store.claim('k', request('b'))).toEqual({ status: 'claimed', takeover: false });
      expect(await store.claim('gone', request('b'))).toEqual({
        status: 'claimed',
        takeover: false,
      });
    });

    it('keeps identities apart', async () => {
      await store.claim('k1', request('a'));
      expect((await store.claim('k2', request('b'))).status).toBe('claimed');
    });

    it('advances a mark to the maximum only', async () => {
      expect(await store.getMark('s')).toBeUndefined();
      expect(await store.advanceMark('s', 10, 60_000)).toBe(10);
      expect(await store.advanceMark('s', 7, 60_000)).toBe(10);
      expect(await store.advanceMark('s', 10, 60_000)).toBe(10);
      expect(await store.advanceMark('s', 12, 60_000)).toBe(12);
      expect(await store.getMark('s')).toBe(12);
      expect(await store.getMark('other')).toBeUndefined();
    });

    it('keeps the largest mark under concurrent advances', async () => {
      const keys = Array.from({ length: 40 }, (_, i) => 1000 + ((i * 7919) % 40));
      await Promise.all(keys.map((k) => store.advanceMark('c', k, 60_000)));
      expect(await store.getMark('c')).toBe(Math.max(...keys));
    });

    it('handles keys beyond 32 bits exactly', async () => {
      const big = 2 ** 52 + 1;
      expect(await store.advanceMark('big', big, 60_000)).toBe(big);
      expect(await store.advanceMark('big', big - 1, 60_000)).toBe(big);
      expect(await store.getMark('big')).toBe(big);
    });

    it('forgets a mark after its TTL', async () => {
      await store.advanceMark('t', 5, 200);
      await sleep(350);
      expect(await store.getMark('t')).toBeUndefined();
    });
    // Kind-specific tests, inside the describe so they share its topology.
    more?.();
  });
}
