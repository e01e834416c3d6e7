/**
 * Adapts the vCenter client's tagging calls to the batcher: one bulk call per batch, its
 * per-VM verdicts turned into errors the handler maps to statuses.
 */
import type { Tagging } from '@veba-functions/vcenter';
import { VCenterError } from '@veba-functions/vcenter';
import type { AttachOutcome } from './attach-batcher.js';
import { TagMissingError, VmAttachRejectedError } from './errors.js';

// vCenter's BatchResult messages carry no error type: recognise a missing object by its text.
const NOT_FOUND_TEXT =
  /not[ _]?found|does not exist|doesn't exist|no longer exists|unknown object|invalid object/i;

/**
 * Returns the bulk attach for one tag: `attach-tag-to-multiple-objects` once, then a single
 * `attach` for each VM the batch failed without naming (vCenter's batch errors do not always say
 * which object they concern; the single call gives that VM a definite answer).
 *
 * A NOT_FOUND for the whole call means the tag is gone: TagMissingError.
 */
export function createVCenterAttachMany(
  tagging: Pick<Tagging, 'attachToMany' | 'attach'>,
  tagId: string,
): (vmIds: readonly string[]) => Promise<ReadonlyMap<string, AttachOutcome>> {
  return async (vmIds) => {
    let batch;
    try {
      batch = await tagging.attachToMany(tagId, vmIds);
    } catch (error) {
      throw translateTagError(error, tagId);
    }
    const outcomes = new Map<string, AttachOutcome>();
    const unknown: string[] = [];
    for (const result of batch.results) {
      if (result.status === 'attached') outcomes.set(result.vmId, { ok: true });
      else if (result.status === 'failed')
        outcomes.set(result.vmId, { ok: false, error: rejected(result.vmId, result.messages) });
      else unknown.push(result.vmId);
    }
    await Promise.all(
      unknown.map(async (vmId) => {
        outcomes.set(vmId, await attachOne(tagging, tagId, vmId));
      }),
    );
    return outcomes;
  };
}

async function attachOne(
  tagging: Pick<Tagging, 'attach'>,
  tagId: string,
  vmId: string,
): Promise<AttachOutcome> {
  try {
    await tagging.attach(tagId, vmId);
    return { ok: true };
  } catch (error) {
    if (error instanceof VCenterError && !error.retryable) {
      // The bulk call accepted the tag id a moment ago, so a NOT_FOUND here is about the VM.
      const detail = error.messages.length > 0 ? error.messages.join('; ') : error.message;
      return {
        ok: false,
        error: new VmAttachRejectedError(vmId, error.vapiType === 'NOT_FOUND', detail, {
          cause: error,
        }),
      };
    }
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

function rejected(vmId: string, messages: readonly string[]): VmAttachRejectedError {
  const detail = messages.length > 0 ? messages.join('; ') : 'no reason given';
  return new VmAttachRejectedError(
    vmId,
    messages.some((m) => NOT_FOUND_TEXT.test(m)),
    detail,
  );
}

/** A NOT_FOUND on the bulk call's path (`.../tag-association/{tag}`) is about the tag. */
function translateTagError(error: unknown, tagId: string): unknown {
  if (error instanceof VCenterError && error.vapiType === 'NOT_FOUND')
    return new TagMissingError(tagId, { cause: error });
  return error;
}
