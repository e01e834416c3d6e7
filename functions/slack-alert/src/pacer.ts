/**
 * Spaces calls to one destination at least `intervalMs` apart, first come first served, and
 * refuses a caller up front when its turn would come after its deadline, so no event waits in
 * line only to time out.
 *
 * Slack allows one message per second per incoming webhook, with short bursts tolerated
 * (https://docs.slack.dev/apis/web-api/rate-limits, "Incoming webhooks"). Pacing before sending
 * keeps a burst of events from turning into a run of 429s.
 */
export interface Pacer {
  /**
   * Waits for this caller's turn. Turns are handed out in call order, each `intervalMs` after
   * the previous one (or after a `holdUntil`).
   *
   * @throws PacerSlotUnavailableError when the turn would start later than `latestStart`
   *   (no turn is consumed), or the `signal`'s reason when it aborts while waiting.
   */
  acquire(options: { latestStart: number; signal?: AbortSignal }): Promise<void>;
  /** No turn starts before `until` (epoch ms): used when Slack answers 429 with `Retry-After`. */
  holdUntil(until: number): void;
  /** When the next turn would start if asked now (epoch ms). */
  nextSlot(): number;
}

export interface PacerOptions {
  /** Minimum gap between two turns. Default 1000 (Slack: 1 message per second per webhook). */
  intervalMs?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** The next free turn starts after the caller's latest acceptable start. */
export class PacerSlotUnavailableError extends Error {
  override readonly name = 'PacerSlotUnavailableError';
  /** Milliseconds from now until the turn the caller would have had. */
  readonly waitMs: number;
  constructor(waitMs: number) {
    super(`the next send slot is ${waitMs} ms away, past this event's deadline`);
    this.waitMs = waitMs;
  }
}

/**
 * @example
 * const pacer = createPacer({ intervalMs: 1000 });
 * await pacer.acquire({ latestStart: ctx.deadline - 500, signal: ctx.signal });
 * await send();
 */
export function createPacer(options: PacerOptions = {}): Pacer {
  const intervalMs = options.intervalMs ?? 1000;
  const now = options.now ?? Date.now;
  // The earliest start of the next turn. Turns are reserved synchronously in acquire(), which is
  // what makes the order FIFO without a queue.
  let nextFree = 0;

  return {
    nextSlot: () => Math.max(now(), nextFree),
    holdUntil(until) {
      nextFree = Math.max(nextFree, until);
    },
    async acquire({ latestStart, signal }) {
      signal?.throwIfAborted();
      const current = now();
      const slot = Math.max(current, nextFree);
      if (slot > latestStart) throw new PacerSlotUnavailableError(slot - current);
      nextFree = slot + intervalMs;
      if (slot > current) await sleep(slot - current, signal);
    },
  };
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
