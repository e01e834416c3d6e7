/**
 * Spaces calls to one destination at least `intervalMs` apart, first come first served, and
 * refuses a caller as soon as its turn would come after its deadline, so no event waits in line
 * only to time out.
 *
 * Slack allows one message per second per incoming webhook, with short bursts tolerated
 * (https://docs.slack.dev/apis/web-api/rate-limits, "Incoming webhooks"). Pacing before sending
 * keeps a burst of events from turning into a run of 429s.
 */
export interface Pacer {
  /**
   * Waits for this caller's turn. Turns are handed out in call order, each `intervalMs` after
   * the previous one (and none before a `holdUntil`).
   *
   * @throws PacerSlotUnavailableError when the turn would start later than `latestStart`, up
   *   front or as soon as a `holdUntil` pushes it there (no turn is consumed), or the `signal`'s
   *   reason when it aborts while waiting.
   */
  acquire(options: { latestStart: number; signal?: AbortSignal }): Promise<void>;
  /**
   * No turn starts before `until` (epoch ms): used when Slack answers 429 with `Retry-After`.
   * Waiters whose turn now falls after their `latestStart` are refused at once.
   */
  holdUntil(until: number): void;
  /** When a caller asking now would get its turn (epoch ms). */
  nextSlot(): number;
}

export interface PacerOptions {
  /** Minimum gap between two turns. Default 1000 (Slack: 1 message per second per webhook). */
  intervalMs?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** The caller's turn would start after its latest acceptable start. */
export class PacerSlotUnavailableError extends Error {
  override readonly name = 'PacerSlotUnavailableError';
  /** Milliseconds from now until the turn the caller would have had. */
  readonly waitMs: number;
  constructor(waitMs: number) {
    super(`the next send slot is ${waitMs} ms away, past this event's deadline`);
    this.waitMs = waitMs;
  }
}

interface Waiter {
  latestStart: number;
  resolve(): void;
  reject(error: unknown): void;
  cleanup(): void;
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
  const queue: Waiter[] = [];
  // The earliest start of the next turn (moved forward by each turn and by holdUntil).
  let nextFree = 0;
  let timer: NodeJS.Timeout | undefined;

  /** When the waiter at `position` in the queue would get its turn. */
  const projected = (position: number): number => Math.max(now(), nextFree) + position * intervalMs;

  function refuseLate(): void {
    for (let i = 0; i < queue.length;) {
      const waiter = queue[i]!;
      const slot = projected(i);
      if (slot > waiter.latestStart) {
        queue.splice(i, 1);
        waiter.cleanup();
        waiter.reject(new PacerSlotUnavailableError(slot - now()));
      } else {
        i++;
      }
    }
  }

  function pump(): void {
    if (timer !== undefined) return;
    while (queue.length > 0) {
      const current = now();
      if (nextFree > current) {
        timer = setTimeout(() => {
          timer = undefined;
          pump();
        }, nextFree - current);
        return;
      }
      const waiter = queue.shift()!;
      nextFree = current + intervalMs;
      waiter.cleanup();
      waiter.resolve();
    }
  }

  return {
    nextSlot: () => projected(queue.length),
    holdUntil(until) {
      if (until <= nextFree) return;
      nextFree = until;
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      refuseLate();
      pump();
    },
    acquire({ latestStart, signal }) {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      const slot = projected(queue.length);
      if (slot > latestStart) return Promise.reject(new PacerSlotUnavailableError(slot - now()));
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const index = queue.indexOf(waiter);
          if (index >= 0) queue.splice(index, 1);
          reject(abortReason(signal!));
        };
        const waiter: Waiter = {
          latestStart,
          resolve,
          reject,
          cleanup: () => signal?.removeEventListener('abort', onAbort),
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
        pump();
      });
    },
  };
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
