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
  /** How long the first request of a batch waits for company, in ms; 0 sends every request on its own. */
  windowMs: number;
  /** A batch is sent as soon as it holds this many distinct VMs. Default 100. */
  maxBatchSize?: number;
  /** Called after every bulk call with its size, e.g. for a histogram. */
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
  /** Sends what is pending and waits for every bulk call in flight to settle. */
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
  // vm id -> the callers waiting for it; a Map keeps arrival order and sends each VM once.
  let pending = new Map<string, Set<Waiter>>();
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();

  function send(): void {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const run = runBatch(batch).finally(() => inFlight.delete(run));
    inFlight.add(run);
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

      if (windowMs === 0 || pending.size >= maxBatchSize) send();
      else timer ??= setTimeout(send, windowMs);
    });
  }

  return {
    attach,
    flush: send,
    async close() {
      send();
      await Promise.allSettled([...inFlight]);
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
