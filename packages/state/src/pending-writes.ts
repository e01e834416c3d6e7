/**
 * The dedupe guard's writes that must land even when the store fails under them:
 *
 * - completing a claim whose work is done: left in progress, every redelivery answers 409 until
 *   the lease ends, and then runs the side effect again (VEBA replays after a restart);
 * - releasing a claim whose work failed, or whose claim reply was lost (the store may have
 *   written it): left in place, every redelivery answers 409 until the lease ends.
 *
 * Each is retried in the background, oldest first, every 100 ms doubling to 2 s while the store
 * keeps failing (and at once when another call of the guard finds the store answering again),
 * until it lands or its claim's lease ends: past the lease a redelivery may take
 * the record over, and completing or releasing it later could only be a no-op (the store's
 * scripts check the owner).
 */

/** One write to retry. */
export interface PendingWrite {
  /** Epoch ms after which it is dropped (the claim's lease end). */
  until: number;
  /** Tries once; a throw means "not yet". */
  attempt(): Promise<void>;
  /** Called when it is dropped without landing (at `until`, or by `flush`). */
  abandon(): void;
}

/** The retry queue of one guard. */
export interface PendingWrites {
  add(write: PendingWrite): void;
  /**
   * The store just answered another call: try the pending writes now instead of at the end of
   * the backoff (which may have grown to its maximum during the outage).
   */
  nudge(): void;
  /** Writes not landed yet. */
  readonly size: number;
  /** One more attempt for each (the guard is stopping), then drops the rest; no retries after. */
  flush(): Promise<void>;
}

/** Options of {@link createPendingWrites}. */
export interface PendingWritesOptions {
  /** First retry delay, ms. Default 100. */
  initialDelayMs?: number;
  /** Longest retry delay, ms. Default 2000. */
  maxDelayMs?: number;
}

/**
 * A queue of writes retried until they land.
 *
 * @example
 * const pending = createPendingWrites();
 * pending.add({ until: leaseEnd, attempt: () => store.release(key, owner).then(() => undefined), abandon() {} });
 */
export function createPendingWrites(options: PendingWritesOptions = {}): PendingWrites {
  const initialDelay = options.initialDelayMs ?? 100;
  const maxDelay = options.maxDelayMs ?? 2000;
  const queue: PendingWrite[] = [];
  let delay = initialDelay;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let stopped = false;

  function schedule(after = delay): void {
    if (stopped || running || timer !== undefined || queue.length === 0) return;
    timer = setTimeout(() => void drain(), after);
    // A pending write never keeps the process alive: the guard's stop() flushes it.
    timer.unref();
  }

  /** Tries the queue in order; stops at the first failure (the store is still down). */
  async function drain(): Promise<void> {
    timer = undefined;
    running = true;
    try {
      while (queue.length > 0 && !stopped) {
        const write = queue[0]!;
        if (Date.now() > write.until) {
          queue.shift();
          write.abandon();
          continue;
        }
        try {
          await write.attempt();
          queue.shift();
          delay = initialDelay;
        } catch {
          // To the back: one write that keeps failing must not hold up the others.
          queue.push(queue.shift()!);
          delay = Math.min(delay * 2, maxDelay);
          break;
        }
      }
    } finally {
      running = false;
      schedule();
    }
  }

  return {
    add(write) {
      if (stopped) {
        write.abandon();
        return;
      }
      queue.push(write);
      schedule();
    },
    nudge() {
      if (stopped || running || queue.length === 0) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      delay = initialDelay;
      schedule(0);
    },
    get size() {
      return queue.length;
    },
    async flush() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      for (const write of queue.splice(0)) {
        try {
          await write.attempt();
        } catch {
          write.abandon();
        }
      }
    },
  };
}
