import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPacer, PacerSlotUnavailableError } from '../src/pacer.js';

describe('createPacer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands out turns in call order, one interval apart', async () => {
    const pacer = createPacer({ intervalMs: 1000 });
    const started: Array<[string, number]> = [];
    const far = Date.now() + 60_000;
    const all = ['a', 'b', 'c', 'd'].map((name) =>
      pacer.acquire({ latestStart: far }).then(() => started.push([name, Date.now()])),
    );
    await vi.advanceTimersByTimeAsync(5000);
    await Promise.all(all);
    expect(started).toEqual([
      ['a', 1_000_000],
      ['b', 1_001_000],
      ['c', 1_002_000],
      ['d', 1_003_000],
    ]);
  });

  it('refuses up front when the turn would start after latestStart, and does not use up a turn', async () => {
    const pacer = createPacer({ intervalMs: 1000 });
    await pacer.acquire({ latestStart: Date.now() + 10_000 });
    const refused = pacer.acquire({ latestStart: Date.now() + 500 });
    await expect(refused).rejects.toBeInstanceOf(PacerSlotUnavailableError);
    await expect(refused).rejects.toMatchObject({ waitMs: 1000 });
    // The refused caller took no turn: the next one still starts 1000 ms after the first.
    expect(pacer.nextSlot()).toBe(1_001_000);
  });

  it('holdUntil pushes every later turn past a Retry-After', async () => {
    const pacer = createPacer({ intervalMs: 1000 });
    pacer.holdUntil(Date.now() + 30_000);
    await expect(pacer.acquire({ latestStart: Date.now() + 20_000 })).rejects.toMatchObject({
      waitMs: 30_000,
    });
    const turn = pacer.acquire({ latestStart: Date.now() + 40_000 });
    await vi.advanceTimersByTimeAsync(30_000);
    await turn;
    expect(Date.now()).toBe(1_030_000);
  });

  it('a hold refuses queued callers it pushes past their latest start, and keeps spacing the others', async () => {
    const pacer = createPacer({ intervalMs: 1000 });
    await pacer.acquire({ latestStart: Date.now() + 60_000 });
    const started: string[] = [];
    const track = (name: string, latestStart: number) =>
      pacer.acquire({ latestStart }).then(
        () => started.push(`${name}@${Date.now() - 1_000_000}`),
        (error: unknown) =>
          started.push(`${name} refused ${(error as PacerSlotUnavailableError).name}`),
      );
    const waiting = [
      track('short', Date.now() + 5_000),
      track('long-1', Date.now() + 60_000),
      track('long-2', Date.now() + 60_000),
    ];
    pacer.holdUntil(Date.now() + 10_000); // a 429 with Retry-After: 10
    await vi.advanceTimersByTimeAsync(15_000);
    await Promise.all(waiting);
    expect(started).toEqual([
      'short refused PacerSlotUnavailableError',
      'long-1@10000',
      'long-2@11000',
    ]);
  });

  it('an aborted caller leaves the queue and does not delay the next one', async () => {
    const pacer = createPacer({ intervalMs: 1000 });
    await pacer.acquire({ latestStart: Date.now() + 10_000 });
    const controller = new AbortController();
    const aborted = pacer.acquire({ latestStart: Date.now() + 10_000, signal: controller.signal });
    const next = pacer.acquire({ latestStart: Date.now() + 10_000 });
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    await vi.advanceTimersByTimeAsync(1000);
    await next;
    expect(Date.now()).toBe(1_001_000);
  });

  it('rejects with the abort reason when the event is aborted while waiting', async () => {
    const pacer = createPacer({ intervalMs: 1000 });
    await pacer.acquire({ latestStart: Date.now() + 10_000 });
    const controller = new AbortController();
    const waiting = pacer.acquire({ latestStart: Date.now() + 10_000, signal: controller.signal });
    const expectation = expect(waiting).rejects.toThrow('deadline');
    controller.abort(new Error('deadline'));
    await expectation;
  });
});
