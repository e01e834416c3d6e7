/**
 * Coalesces the attach requests of concurrent events into one
 * `attach-tag-to-multiple-objects` call, while each event still waits for, and
 * answers with, the result for its own VM.
 */

/** The result of attaching the tag to one VM inside a bulk call. */
export type AttachOutcome = { ok: true } | { ok: false; error: Error };

/**
 * Attaches the tag to every VM in `vmIds` with one vCenter call and reports per VM.
 * A rejection means the whole call failed (vCenter down, tag gone, ...).
 */
export type AttachMany = (vmIds: readonly string[]) => Promise<ReadonlyMap<string, AttachOutcome>>;

export interface AttachBatcherOptions {
  /** One vCenter call for a whole batch. */
  attachMany: AttachMany;
  /**
   * Quiet period, in ms: a batch is sent once no new VM has joined it for this long (so a burst,
   * however it trickles in, becomes one batch). 0 sends every request on its own.
   */
  windowMs: number;
  /** Longest a request waits for its batch to be sent (while VMs keep joining it). Default 20 x windowMs. */
  maxWaitMs?: number;
  /** A batch is sent as soon as it holds this many distinct VMs. Default 100. */
  maxBatchSize?: number;
  /**
   * Bulk calls in flight at once before a batch whose window has passed waits for one to finish
   * (a full batch never waits). Default 1: while vCenter answers one call the next batch grows.
   */
  maxConcurrentCalls?: number;
  /** Called before every bulk call with its size, e.g. for a histogram. */
  onBatch?(size: number): void;
}

export interface AttachBatcher {
  /**
   * Attaches the tag to `vmId`, batched with the requests arriving within the window.
   * Resolves when vCenter confirmed this VM; rejects with this VM's own error, or with the
   * batch's error when the whole call failed. An aborted `signal` rejects this caller only
   * (the VM is dropped from a batch not sent yet).
   */
  attach(vmId: string, signal?: AbortSignal): Promise<void>;
  /** Sends the pending batch now (e.g. before shutdown). */
  flush(): void;
  /** Sends what is pending (respecting the call limit) and waits until every bulk call has settled. */
  close(): Promise<void>;
}

/** Thrown to a caller whose VM is missing from the bulk call's per-VM results. */
export class MissingAttachResultError extends Error {
  override readonly name = 'MissingAttachResultError';
  constructor(readonly vmId: string) {
    super(`vCenter's bulk attach reported no result for ${vmId}`);
  }
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

const DEFAULT_MAX_BATCH_SIZE = 100;
const DEFAULT_MAX_CONCURRENT_CALLS = 1;
// Timers run a few ms late on a busy loop; this much later means the process was starved.
const LATE_TIMER_MS = 20;

/**
 * Creates a batcher over one bulk attach function.
 *
 * @example
 * const batcher = createAttachBatcher({
 *   windowMs: 50,
 *   attachMany: (ids) => tagging.attachToMany(tagId, ids).then(toOutcomes),
 * });
 * await batcher.attach('vm-42'); // shares one vCenter call with its neighbours
 */
export function createAttachBatcher(options: AttachBatcherOptions): AttachBatcher {
  const windowMs = Math.max(0, options.windowMs);
  const maxBatchSize = Math.max(1, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
  const maxConcurrentCalls = Math.max(
    1,
    options.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS,
  );
  // vm id -> the callers waiting for it; a Map keeps arrival order and sends each VM once.
  let pending = new Map<string, Set<Waiter>>();
  const maxWaitMs = Math.max(windowMs, options.maxWaitMs ?? windowMs * 20);
  let timer: NodeJS.Timeout | undefined;
  // When the oldest request of the pending batch arrived (epoch ms).
  let batchStartedAt = 0;
  // When the running timer should fire (epoch ms).
  let timerDueAt = 0;
  // The window has passed but every call slot was busy: send as soon as one frees up.
  let due = false;
  const inFlight = new Set<Promise<void>>();

  function send(): void {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    due = false;
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const run = runBatch(batch).finally(() => {
      inFlight.delete(run);
      if (due) send();
    });
    inFlight.add(run);
  }

  /** A VM joined: wait windowMs more for the next one, but not past the oldest request's maxWaitMs. */
  function restartQuietTimer(): void {
    const now = Date.now();
    if (timer === undefined) batchStartedAt = now;
    else clearTimeout(timer);
    armTimer(now);
  }

  function armTimer(now: number): void {
    const delay = Math.max(0, Math.min(windowMs, batchStartedAt + maxWaitMs - now));
    timerDueAt = now + delay;
    timer = setTimeout(windowElapsed, delay);
  }

  /** The window is over: send now, or when a call slot frees up (a slow vCenter gets bigger batches). */
  function windowElapsed(): void {
    const now = Date.now();
    // A timer firing late means the process was busy (or starved of CPU) and has not yet read the
    // requests that arrived meanwhile: that was no quiet period, so wait one more window.
    if (
      now - timerDueAt > Math.max(windowMs / 2, LATE_TIMER_MS) &&
      now - batchStartedAt < maxWaitMs
    ) {
      armTimer(now);
      return;
    }
    timer = undefined;
    if (inFlight.size < maxConcurrentCalls) send();
    else due = true;
  }

  async function runBatch(batch: Map<string, Set<Waiter>>): Promise<void> {
    const vmIds = [...batch.keys()];
    options.onBatch?.(vmIds.length);
    let results: ReadonlyMap<string, AttachOutcome>;
    try {
      results = await options.attachMany(vmIds);
    } catch (error) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(toError(error));
      return;
    }
    for (const [vmId, waiters] of batch) {
      const outcome = results.get(vmId);
      for (const w of waiters) {
        if (outcome === undefined) w.reject(new MissingAttachResultError(vmId));
        else if (outcome.ok) w.resolve();
        else w.reject(outcome.error);
      }
    }
  }

  function attach(vmId: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        const waiters = pending.get(vmId);
        if (waiters?.delete(waiter) && waiters.size === 0) pending.delete(vmId);
        reject(abortReason(signal));
      };
      const waiter: Waiter = {
        resolve: () => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      let waiters = pending.get(vmId);
      if (waiters === undefined) {
        waiters = new Set();
        pending.set(vmId, waiters);
      }
      waiters.add(waiter);

      // Batching off, or a full batch: send at once, whatever is in flight.
      if (windowMs === 0 || pending.size >= maxBatchSize) send();
      else if (!due) restartQuietTimer();
    });
  }

  return {
    attach,
    flush: send,
    async close() {
      // A call finishing may send the batch that waited for it: loop until nothing is left.
      while (pending.size > 0 || inFlight.size > 0) {
        if (inFlight.size < maxConcurrentCalls || pending.size === 0) send();
        await Promise.race([...inFlight]).catch(() => undefined);
      }
    },
  };
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason === undefined ? new Error('attach aborted') : toError(reason);
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
