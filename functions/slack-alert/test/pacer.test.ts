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
    await expect(pacer.acquire({ latestStart: Date.now() + 20_000 })).rejects.toMatchObject({ waitMs: 30_000 });
    const turn = pacer.acquire({ latestStart: Date.now() + 40_000 });
    await vi.advanceTimersByTimeAsync(30_000);
    await turn;
    expect(Date.now()).toBe(1_030_000);
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
