/**
 * Attaching and detaching tags on VMs for many concurrent events: one group commit per action
 * and tag, so concurrent events share `attach-tag-to-multiple-objects` (or
 * `detach-tag-from-multiple-objects`) calls while each event still gets its own VM's verdict.
 *
 * Every failure is a `VCenterError`: a verdict about one VM carries that VM in `objectId` (a
 * missing VM is `NOT_FOUND`), a tag that no longer exists is `TAG_NOT_FOUND` (no `objectId`), and
 * anything about the whole call (vCenter down, privileges) is the call's own error. Functions map
 * them with `toRuntimeError`.
 */
import type { Counter, Histogram, Registry } from 'prom-client';
import { registeredCounter, registeredHistogram } from '@veba-functions/runtime';
import { VCenterError } from './errors.js';
import {
  createGroupCommit,
  type Arrival,
  type CommitOutcome,
  type GroupCommit,
} from './group-commit.js';
import type { DetachManyResult, Tagging } from './tagging.js';

/** What to do with a tag on a VM. */
export type TagAction = 'attach' | 'detach';

export interface TagAssociationsOptions {
  /** Most VMs in one batch call (VMware advises at most 2000). Default 100. */
  maxBatchSize?: number;
  /** Most batch calls in flight per action and tag. Default 4. */
  maxInFlight?: number;
  /** A call in flight for this long no longer holds the next batch back. Default 1000 ms. */
  stallMs?: number;
  /** Longest a batch waits for announced events on their way. Default 20 ms. */
  lingerMs?: number;
  /** Registers `veba_vcenter_tag_batch_size{action}` and `veba_vcenter_tag_calls_abandoned_total{action}`. */
  metrics?: Registry;
}

/** Counts per action since creation. */
export interface TagAssociationsStats {
  /** Batch calls started (each may have fallen back to single calls per VM). */
  calls: number;
  /** Calls aborted because every event waiting for them gave up. */
  abandoned: number;
  /** False once the server showed it has no `detach-tag-from-multiple-objects`. */
  batchDetach: boolean;
}

/** Per-event options of `apply`. */
export interface AssociationOptions {
  /** The event's deadline signal: aborting it gives up this VM only. */
  signal?: AbortSignal | undefined;
  /** The event's announcement (`announce`), when it made one. */
  arrival?: Arrival | undefined;
}

export interface TagAssociations {
  /**
   * Attaches or detaches `tagId` on `vmId` in the next batch call for that action and tag (at
   * once when none is in flight and no announced event is on its way). Resolves when vCenter
   * confirmed this VM; rejects with this VM's own `VCenterError`, `TAG_NOT_FOUND` when the tag
   * is gone, or the call's error. Detaching a tag that is not attached succeeds.
   */
  apply(
    action: TagAction,
    tagId: string,
    vmId: string,
    options?: AssociationOptions,
  ): Promise<void>;
  attach(tagId: string, vmId: string, options?: AssociationOptions): Promise<void>;
  detach(tagId: string, vmId: string, options?: AssociationOptions): Promise<void>;
  /**
   * Announces an event that will `apply` this action and tag soon (call it as the event
   * arrives, e.g. from `createArrivalGuard`): a batch about to go out waits for it.
   */
  announce(action: TagAction, tagId: string): Arrival;
  /** Waits for every call in flight (call it in `shutdown`, after the events drained). */
  close(): Promise<void>;
  readonly stats: TagAssociationsStats;
}

// vCenter's BatchResult messages carry no error type: recognise a missing object by its text.
const NOT_FOUND_TEXT =
  /not[ _]?found|does not exist|doesn't exist|no longer exists|unknown object|invalid object/i;
/** Single calls per VM at once, when a batch must be done one VM at a time. */
const SINGLE_CONCURRENCY = 8;

type TaggingCalls = Pick<Tagging, 'attachToMany' | 'attach' | 'detachFromMany' | 'detach'>;

/**
 * Creates the attach/detach batching over a client's tagging calls.
 *
 * @example
 * const associations = createTagAssociations(vcenter.tagging, { metrics });
 * try { await associations.attach(tag.id, vm.moref, ctx.signal); }
 * catch (error) { throw toRuntimeError(error, `tagging ${vm.moref}`); }
 */
export function createTagAssociations(
  tagging: TaggingCalls,
  options: TagAssociationsOptions = {},
): TagAssociations {
  const commits = new Map<string, GroupCommit>();
  const counts = { calls: 0, abandoned: 0 };
  // Learned from the server's answers; until then, try the batch call.
  let batchDetach = true;
  const metrics = options.metrics === undefined ? undefined : associationMetrics(options.metrics);

  function commitFor(action: TagAction, tagId: string): GroupCommit {
    const id = `${action}\u0000${tagId}`;
    let commit = commits.get(id);
    if (commit === undefined) {
      commit = createGroupCommit({
        maxBatchSize: options.maxBatchSize,
        maxInFlight: options.maxInFlight,
        stallMs: options.stallMs,
        lingerMs: options.lingerMs,
        commit: (vmIds, signal) =>
          action === 'attach' ? attachAll(tagId, vmIds, signal) : detachAll(tagId, vmIds, signal),
        onCommit(size) {
          counts.calls += 1;
          metrics?.batchSize.observe({ action }, size);
        },
        onAbandon() {
          counts.abandoned += 1;
          metrics?.abandoned.inc({ action });
        },
      });
      commits.set(id, commit);
    }
    return commit;
  }

  async function attachAll(
    tagId: string,
    vmIds: readonly string[],
    signal: AbortSignal,
  ): Promise<Map<string, CommitOutcome>> {
    let batch;
    try {
      batch = await tagging.attachToMany(tagId, vmIds, { signal });
    } catch (error) {
      throw tagLevel(error, tagId);
    }
    const outcomes = new Map<string, CommitOutcome>();
    const unknown = sortBatch('attach', tagId, batch.results, outcomes);
    // vCenter's batch errors do not always say which VM they concern: a single call per such VM
    // gives it a definite answer (the batch call just accepted the tag id, so a NOT_FOUND there
    // is about the VM).
    await eachLimited(unknown, async (vmId) => {
      outcomes.set(vmId, await single('attach', tagId, vmId, signal, 'vm'));
    });
    return outcomes;
  }

  async function detachAll(
    tagId: string,
    vmIds: readonly string[],
    signal: AbortSignal,
  ): Promise<Map<string, CommitOutcome>> {
    const outcomes = new Map<string, CommitOutcome>();
    let singles = vmIds;
    let batchAnswered404 = false;
    if (batchDetach) {
      let batch: DetachManyResult | undefined;
      try {
        batch = await tagging.detachFromMany(tagId, vmIds, { signal });
      } catch (error) {
        // A 404 is either the tag gone or a server without the operation: single calls tell.
        if (!(error instanceof VCenterError && error.vapiType === 'NOT_FOUND'))
          throw tagLevel(error, tagId);
        batchAnswered404 = true;
      }
      if (batch === undefined && !batchAnswered404) batchDetach = false;
      if (batch !== undefined) singles = sortBatch('detach', tagId, batch.results, outcomes);
    }
    // A single detach answers NOT_FOUND only for the tag (vSphere Automation API reference:
    // tag-association detach, "if the tag for the given tag_id does not exist").
    let tagGone: VCenterError | undefined;
    await eachLimited(singles, async (vmId) => {
      const outcome = await single('detach', tagId, vmId, signal, 'tag');
      if (!outcome.ok && isTagGone(outcome.error)) tagGone ??= outcome.error as VCenterError;
      outcomes.set(vmId, outcome);
    });
    if (tagGone !== undefined) throw tagGone;
    // The batch path answered 404 but the tag is there: the server has no batch detach.
    if (batchAnswered404 && singles.length > 0) batchDetach = false;
    return outcomes;
  }

  /**
   * A batch call's per-VM results into `outcomes` (done, or refused with the VM's messages); the
   * VMs whose result says neither are returned, for a single call each.
   */
  function sortBatch(
    action: TagAction,
    tagId: string,
    results: ReadonlyArray<{ vmId: string; status: string; messages: string[] }>,
    outcomes: Map<string, CommitOutcome>,
  ): string[] {
    const unknown: string[] = [];
    for (const result of results) {
      if (result.status === (action === 'attach' ? 'attached' : 'detached'))
        outcomes.set(result.vmId, DONE);
      else if (result.status === 'failed')
        outcomes.set(result.vmId, refused(action, tagId, result.vmId, result.messages));
      else unknown.push(result.vmId);
    }
    return unknown;
  }

  async function single(
    action: TagAction,
    tagId: string,
    vmId: string,
    signal: AbortSignal,
    notFoundMeans: 'vm' | 'tag',
  ): Promise<CommitOutcome> {
    try {
      if (action === 'attach') await tagging.attach(tagId, vmId, { signal });
      else await tagging.detach(tagId, vmId, { signal });
      return DONE;
    } catch (error) {
      if (!(error instanceof VCenterError) || error.retryable) return { ok: false, error };
      if (error.vapiType === 'NOT_FOUND' && notFoundMeans === 'tag')
        return { ok: false, error: tagLevel(error, tagId) };
      return {
        ok: false,
        error: new VCenterError(
          `vCenter refused to ${action} tag ${tagId} on ${vmId}: ${error.message}`,
          {
            type: error.vapiType,
            status: error.status,
            method: error.method,
            path: error.path,
            operation: error.operation,
            messages: error.messages,
            retryable: false,
            objectId: vmId,
            cause: error,
          },
        ),
      };
    }
  }

  return {
    apply(action, tagId, vmId, call = {}) {
      return commitFor(action, tagId).submit(vmId, call.signal, call.arrival);
    },
    attach(tagId, vmId, call = {}) {
      return commitFor('attach', tagId).submit(vmId, call.signal, call.arrival);
    },
    detach(tagId, vmId, call = {}) {
      return commitFor('detach', tagId).submit(vmId, call.signal, call.arrival);
    },
    announce(action, tagId) {
      return commitFor(action, tagId).announce();
    },
    async close() {
      await Promise.all([...commits.values()].map((commit) => commit.close()));
    },
    get stats() {
      return { ...counts, batchDetach };
    },
  };
}

/** Whether an error says the tag itself no longer exists (look it up again, or give up). */
export function isTagGone(error: unknown): boolean {
  return error instanceof VCenterError && error.vapiType === 'TAG_NOT_FOUND';
}

const DONE: CommitOutcome = { ok: true, value: undefined };

/** A NOT_FOUND for the whole call (its path names the tag) means the tag is gone. */
function tagLevel(error: unknown, tagId: string): unknown {
  if (!(error instanceof VCenterError) || error.vapiType !== 'NOT_FOUND') return error;
  return new VCenterError(`tag ${tagId} does not exist in vCenter`, {
    type: 'TAG_NOT_FOUND',
    status: error.status,
    method: error.method,
    path: error.path,
    operation: error.operation,
    messages: error.messages,
    retryable: false,
    cause: error,
  });
}

function refused(
  action: TagAction,
  tagId: string,
  vmId: string,
  messages: readonly string[],
): CommitOutcome {
  const detail = messages.length > 0 ? messages.join('; ') : 'no reason given';
  const missing = messages.some((m) => NOT_FOUND_TEXT.test(m));
  return {
    ok: false,
    error: new VCenterError(`vCenter refused to ${action} tag ${tagId} on ${vmId}: ${detail}`, {
      type: missing ? 'NOT_FOUND' : 'ERROR',
      retryable: false,
      messages: [...messages],
      objectId: vmId,
    }),
  };
}

async function eachLimited(
  items: readonly string[],
  run: (item: string) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += SINGLE_CONCURRENCY) {
    await Promise.all(items.slice(i, i + SINGLE_CONCURRENCY).map(run));
  }
}

interface AssociationMetrics {
  batchSize: Histogram<'action'>;
  abandoned: Counter<'action'>;
}

const BATCH_METRIC = 'veba_vcenter_tag_batch_size';
const ABANDONED_METRIC = 'veba_vcenter_tag_calls_abandoned_total';

/** One set per registry, shared by every instance registered there. */
function associationMetrics(registry: Registry): AssociationMetrics {
  return {
    batchSize: registeredHistogram(registry, {
      name: BATCH_METRIC,
      help: 'VMs per attach/detach batch call to vCenter',
      labelNames: ['action'],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    }),
    abandoned: registeredCounter(registry, {
      name: ABANDONED_METRIC,
      help: 'Batch calls aborted because every event waiting for them gave up (deadline)',
      labelNames: ['action'],
    }),
  };
}
