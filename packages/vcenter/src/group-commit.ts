/**
 * Group commit: batching that costs no latency. A key submitted while no call is in flight goes
 * out at once, in a call of its own; keys submitted while a call is in flight wait for it and
 * then go out together in the next call (at most `maxBatchSize` per call). A lone event thus
 * never waits for a timer, and a burst costs about one call per round trip instead of one per
 * event.
 *
 * Group commit alone cannot tell a lone event from the first of a burst whose other events are
 * still on their way (parsing, Redis round trips of the guards): on a vCenter that answers in a
 * few milliseconds, a burst would trickle out in many small calls. So an event may be announced
 * as it arrives (`announce()`, e.g. from the function's first guard): while announced events
 * have not submitted yet and nothing is in flight, the batch waits for them, at most `lingerMs`.
 * A lone event has no announced siblings and never waits (PostgreSQL's `commit_delay` applies only
 * with `commit_siblings` active transactions for the same reason). Events still on their way
 * before they could be announced (connections being opened, requests being read) are caught
 * the same way: when a call comes back to two or more keys waiting, the next call goes once no key
 * has arrived for `quietMs` (again at most `lingerMs`). A serial stream never has two waiting.
 *
 * Every waiter keeps its own signal (the handler's deadline). A waiter that gives up leaves its
 * batch; a call whose waiters have all given up is aborted, so a vCenter that stopped answering
 * does not hold the next batch back once it answers again. A call in flight for longer than
 * `stallMs` stops holding the queue back as well: the next batch goes out beside it (at most
 * `maxInFlight` calls at once), so one request lost on a dead connection costs one stall, not a
 * request timeout.
 */
import { VCenterError } from './errors.js';

/** What a call reports for one key. */
export type CommitOutcome<R = void> = { ok: true; value: R } | { ok: false; error: unknown };

export interface GroupCommitOptions<R = void> {
  /**
   * One call for a batch of distinct keys. Resolves with an outcome per key (a missing key fails
   * that key's waiters); rejects when the whole call failed (every waiter gets that error). It
   * must stop when `signal` aborts: that happens when no waiter is left.
   */
  commit(
    keys: readonly string[],
    signal: AbortSignal,
  ): Promise<ReadonlyMap<string, CommitOutcome<R>>>;
  /** Most keys in one call. Default 100. */
  maxBatchSize?: number;
  /** Most calls in flight at once (a stalled call and the batches beside it). Default 4. */
  maxInFlight?: number;
  /** A call in flight for this long no longer holds the next batch back. Default 1000 ms. */
  stallMs?: number;
  /** Longest a batch waits for announced events that have not submitted yet. Default 20 ms. */
  lingerMs?: number;
  /** With two or more keys waiting, the batch goes once none has arrived for this long. Default 2 ms. */
  quietMs?: number;
  /** Called as each call starts, with its number of keys. */
  onCommit?(size: number): void;
  /** Called when a call is aborted because every waiter of it gave up. */
  onAbandon?(size: number): void;
}

/** Counts since creation (tests, benches, debug logs). */
export interface GroupCommitStats {
  /** Calls started. */
  calls: number;
  /** Keys sent, over all calls. */
  keys: number;
  /** Calls aborted because no waiter was left. */
  abandoned: number;
  /** Calls in flight now. */
  inFlight: number;
  /** Keys waiting for the next call now. */
  queued: number;
  /** Announced events that have neither submitted nor cancelled. */
  announced: number;
}

/** An event announced to a group commit before it submits (see `announce`). */
export interface Arrival {
  /** The event will not submit after all (skipped, failed): stop waiting for it. Idempotent. */
  cancel(): void;
}

export interface GroupCommit<R = void> {
  /**
   * Runs `key` in the next call (at once when nothing is in flight and no announced event is on
   * its way) and resolves with its own outcome. An aborted `signal` rejects this waiter only,
   * with the signal's reason. `arrival` is this event's announcement, if it made one.
   */
  submit(key: string, signal?: AbortSignal, arrival?: Arrival): Promise<R>;
  /**
   * Announces an event that will submit soon: a batch about to go out waits for it (at most
   * `lingerMs`). Submit with the returned arrival, or cancel it.
   */
  announce(): Arrival;
  /** Waits until nothing is queued or in flight; later submits reject with `CLIENT_CLOSED`. */
  close(): Promise<void>;
  readonly stats: GroupCommitStats;
}

interface Waiter<R> {
  key: string;
  resolve(value: R): void;
  reject(error: Error): void;
  /** The call carrying this waiter, once sent. */
  call: Call<R> | undefined;
}

interface Call<R> {
  readonly waiters: Set<Waiter<R>>;
  readonly controller: AbortController;
  readonly startedAt: number;
  readonly size: number;
}

const DEFAULT_MAX_BATCH_SIZE = 100;
const DEFAULT_MAX_IN_FLIGHT = 4;
const DEFAULT_STALL_MS = 1_000;
const DEFAULT_LINGER_MS = 20;
const DEFAULT_QUIET_MS = 2;

/** An arrival that can be consumed by its submit (internal side of {@link Arrival}). */
interface OpenArrival extends Arrival {
  consume(): void;
}

/**
 * Creates a group commit over one batch operation.
 *
 * @example
 * const attaches = createGroupCommit({
 *   commit: async (vmIds, signal) => outcomesOf(await tagging.attachToMany(tagId, vmIds, { signal })),
 * });
 * await attaches.submit('vm-42', ctx.signal); // at once when idle, with its neighbours in a burst
 */
export function createGroupCommit<R = void>(options: GroupCommitOptions<R>): GroupCommit<R> {
  const maxBatchSize = positiveInteger(
    options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
    'maxBatchSize',
  );
  const maxInFlight = positiveInteger(options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, 'maxInFlight');
  const stallMs = Math.max(0, options.stallMs ?? DEFAULT_STALL_MS);
  const lingerMs = Math.max(0, options.lingerMs ?? DEFAULT_LINGER_MS);
  const quietMs = Math.max(0, options.quietMs ?? DEFAULT_QUIET_MS);
  // When the batch now forming started to wait, and when a key or an announcement last arrived.
  let lingerSince: number | undefined;
  let lastArrival = 0;
  // Announced events that have not submitted (or cancelled) yet.
  let announced = 0;
  let lingerTimer: NodeJS.Timeout | undefined;
  let lingerDue = 0;
  // The linger for the batch now forming has run out: send without waiting for more.
  let lingered = false;
  const own = new WeakSet<Arrival>();
  // key -> its waiters, in arrival order: a key named twice is sent once.
  const queue = new Map<string, Set<Waiter<R>>>();
  const inFlight = new Set<Call<R>>();
  let stallTimer: NodeJS.Timeout | undefined;
  let stallDue = 0;
  let closed = false;
  const idle: Array<() => void> = [];
  const counts = { calls: 0, keys: 0, abandoned: 0 };

  /** Whether every call in flight has run past stallMs (so none is about to free the queue). */
  function allStalled(now: number): boolean {
    for (const call of inFlight) if (now - call.startedAt < stallMs) return false;
    return true;
  }

  function pump(): void {
    while (queue.size > 0) {
      const now = performance.now();
      const full = queue.size >= maxBatchSize;
      if (inFlight.size === 0 && !full && !lingered) {
        const wake = lingerUntil(now);
        if (wake !== undefined) {
          armLinger(wake);
          break;
        }
      }
      const canSend =
        inFlight.size === 0 || (inFlight.size < maxInFlight && (full || allStalled(now)));
      if (!canSend) break;
      send();
    }
    armStallTimer();
    if (queue.size === 0) {
      if (lingerTimer !== undefined) clearTimeout(lingerTimer);
      lingerTimer = undefined;
      lingered = false;
      lingerSince = undefined;
    }
    if (queue.size === 0 && inFlight.size === 0) for (const done of idle.splice(0)) done();
  }

  /** While keys wait behind calls in flight, look again when the youngest call would stall. */
  function armStallTimer(): void {
    if (queue.size === 0 || inFlight.size === 0 || inFlight.size >= maxInFlight) {
      if (stallTimer !== undefined) clearTimeout(stallTimer);
      stallTimer = undefined;
      return;
    }
    let youngest = 0;
    for (const call of inFlight) youngest = Math.max(youngest, call.startedAt);
    const due = youngest + stallMs;
    // Every submit behind a call in flight comes here; the time only moves when the calls do.
    if (stallTimer !== undefined && due === stallDue) return;
    if (stallTimer !== undefined) clearTimeout(stallTimer);
    stallDue = due;
    stallTimer = setTimeout(
      () => {
        stallTimer = undefined;
        pump();
      },
      Math.max(0, due - performance.now()),
    );
    // A queue waiting on a stall must not keep the process alive on its own.
    stallTimer.unref();
  }

  /**
   * When to look again if this batch should wait for siblings (undefined: send now). It waits
   * for announced events, and while keys of a burst keep arriving, never past lingerMs.
   */
  function lingerUntil(now: number): number | undefined {
    const arriving = queue.size >= 2 && now - lastArrival < quietMs;
    if (announced === 0 && !arriving) return undefined;
    lingerSince ??= now;
    const limit = lingerSince + lingerMs;
    if (now >= limit) return undefined;
    return arriving && announced === 0 ? Math.min(limit, lastArrival + quietMs) : limit;
  }

  /** Looks again at `due`; a submit waiting for the same announced events keeps the timer. */
  function armLinger(due: number): void {
    if (lingerTimer !== undefined && due === lingerDue) return;
    if (lingerTimer !== undefined) clearTimeout(lingerTimer);
    lingerDue = due;
    lingerTimer = setTimeout(
      () => {
        lingerTimer = undefined;
        if (lingerSince !== undefined && performance.now() - lingerSince >= lingerMs)
          lingered = true;
        pump();
      },
      Math.max(0, due - performance.now()),
    );
    lingerTimer.unref();
  }

  function send(): void {
    if (lingerTimer !== undefined) clearTimeout(lingerTimer);
    lingerTimer = undefined;
    lingered = false;
    lingerSince = undefined;
    const keys: string[] = [];
    const waiters = new Set<Waiter<R>>();
    for (const [key, forKey] of queue) {
      if (keys.length >= maxBatchSize) break;
      keys.push(key);
      queue.delete(key);
      for (const waiter of forKey) waiters.add(waiter);
    }
    const call: Call<R> = {
      waiters,
      controller: new AbortController(),
      startedAt: performance.now(),
      size: keys.length,
    };
    for (const waiter of waiters) waiter.call = call;
    inFlight.add(call);
    counts.calls += 1;
    counts.keys += keys.length;
    options.onCommit?.(keys.length);

    let running: Promise<ReadonlyMap<string, CommitOutcome<R>>>;
    try {
      running = options.commit(keys, call.controller.signal);
    } catch (error) {
      running = Promise.reject(toError(error));
    }
    running.then(
      (outcomes) => {
        for (const waiter of call.waiters) {
          const outcome = outcomes.get(waiter.key);
          if (outcome === undefined) waiter.reject(missingOutcome(waiter.key));
          else if (outcome.ok) waiter.resolve(outcome.value);
          else waiter.reject(toError(outcome.error));
        }
        finish(call);
      },
      (error: unknown) => {
        for (const waiter of call.waiters) waiter.reject(toError(error));
        finish(call);
      },
    );
  }

  function finish(call: Call<R>): void {
    call.waiters.clear();
    inFlight.delete(call);
    pump();
  }

  /** A waiter gave up: leave the queue, or the call; a call nobody waits for is aborted. */
  function leave(waiter: Waiter<R>): void {
    const call = waiter.call;
    if (call === undefined) {
      const forKey = queue.get(waiter.key);
      if (forKey?.delete(waiter) === true && forKey.size === 0) queue.delete(waiter.key);
      if (queue.size === 0) pump();
      return;
    }
    if (!call.waiters.delete(waiter) || call.waiters.size > 0) return;
    counts.abandoned += 1;
    options.onAbandon?.(call.size);
    call.controller.abort(
      new VCenterError('every event waiting for this call gave up', {
        type: 'CANCELED',
        retryable: false,
      }),
    );
    // The slot frees now, not when the aborted request has unwound.
    inFlight.delete(call);
    pump();
  }

  function announce(): Arrival {
    announced += 1;
    lastArrival = performance.now();
    let open = true;
    const arrival: OpenArrival = {
      consume() {
        if (!open) return;
        open = false;
        announced -= 1;
      },
      cancel() {
        if (!open) return;
        open = false;
        announced -= 1;
        // The batch may have been waiting for this one only.
        if (announced === 0) pump();
      },
    };
    own.add(arrival);
    return arrival;
  }

  function submit(key: string, signal?: AbortSignal, arrival?: Arrival): Promise<R> {
    // Another batch's arrival (the event changed its mind, e.g. a tag looked up again) only
    // stops that batch from waiting for it.
    if (arrival !== undefined) {
      if (own.has(arrival)) (arrival as OpenArrival).consume();
      else arrival.cancel();
    }
    if (closed) {
      return Promise.reject(
        new VCenterError('the batch is closed', { type: 'CLIENT_CLOSED', retryable: false }),
      );
    }
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        leave(waiter);
        reject(abortReason(signal));
      };
      const waiter: Waiter<R> = {
        key,
        call: undefined,
        resolve(value) {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject(error) {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let forKey = queue.get(key);
      if (forKey === undefined) {
        forKey = new Set();
        queue.set(key, forKey);
      }
      forKey.add(waiter);
      lastArrival = performance.now();
      pump();
    });
  }

  return {
    submit,
    announce,
    async close() {
      closed = true;
      if (queue.size === 0 && inFlight.size === 0) return;
      await new Promise<void>((resolve) => idle.push(resolve));
    },
    get stats() {
      return { ...counts, inFlight: inFlight.size, queued: queue.size, announced };
    },
  };
}

function missingOutcome(key: string): VCenterError {
  return new VCenterError(`vCenter's batch answer has no result for ${key}`, {
    type: 'UNEXPECTED_RESPONSE',
    retryable: false,
    objectId: key,
  });
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason === undefined)
    return new VCenterError('the caller gave up', { type: 'CANCELED', retryable: false });
  return toError(reason);
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new VCenterError(`invalid group commit options: ${name} must be a whole number >= 1`, {
      type: 'INVALID_OPTIONS',
      retryable: false,
    });
  }
  return value;
}
