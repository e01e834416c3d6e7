/**
 * In-process order per conversation: deliveries with the same key run one at a time, and one
 * whose event `Key` is older than a key already delivered for that conversation is not sent.
 *
 * Why: the ordering guard checks an event against the conversation's mark when it arrives, and
 * the mark advances only once the event is handled. Two events of one alarm handled at once (a
 * trigger with Key 99 and its resolve with Key 100) both pass that check; if the resolve is sent
 * first, the trigger sent after it opens an incident nothing will close. Running them one at a
 * time and re-checking the order just before sending closes that window within a process; across
 * replicas the guard's mark is what there is (one replica, or `ordering.enabled`, for strict order).
 */

/** The outcome of {@link KeyedSequencer.run}. */
export type SequencedResult<T> = { value: T } | { stale: number };

/** Runs tasks one at a time per key, skipping tasks older than one already done. */
export interface KeyedSequencer {
  /**
   * Runs `task` after every earlier task of `key`; resolves `{ stale: newest }` without running
   * it when `order` is older than the newest order already done for `key`. A task that throws is
   * not recorded as done.
   */
  run<T>(
    key: string,
    order: number | undefined,
    task: () => Promise<T>,
  ): Promise<SequencedResult<T>>;
  /** Keys with a task running or waiting. */
  readonly active: number;
}

/**
 * @example
 * const sequencer = createKeyedSequencer();
 * const result = await sequencer.run(notification.conversation, notification.key, () => send());
 */
export function createKeyedSequencer(options: { maxKeys?: number } = {}): KeyedSequencer {
  const maxKeys = options.maxKeys ?? 10_000;
  const tails = new Map<string, Promise<void>>();
  // Newest order done per key, least recently used first (a Map keeps insertion order).
  const done = new Map<string, number>();

  function remember(key: string, order: number): void {
    const current = done.get(key);
    done.delete(key);
    done.set(key, current === undefined ? order : Math.max(current, order));
    while (done.size > maxKeys) done.delete(done.keys().next().value!);
  }

  return {
    get active() {
      return tails.size;
    },
    async run(key, order, task) {
      const previous = tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      const tail = previous.then(() => mine);
      tails.set(key, tail);
      try {
        await previous;
        const newest = done.get(key);
        if (order !== undefined && newest !== undefined && order < newest) return { stale: newest };
        const value = await task();
        if (order !== undefined) remember(key, order);
        return { value };
      } finally {
        release();
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
