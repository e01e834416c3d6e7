/**
 * The function's logic over injected clients: which events count as a power-on, which VM they
 * name, and how each vCenter answer becomes an HTTP status.
 */
import type { CloudEvent } from 'cloudevents';
import type { HandleResult } from '@veba-functions/runtime';
import {
  DependencyUnavailableError,
  InvalidEventError,
  UpstreamRejectedError,
} from '@veba-functions/runtime';
import { VCenterError } from '@veba-functions/vcenter';
import { matchesEventClass, parseVSphereEvent } from '@veba-functions/vsphere-events';
import { TagMissingError, VmAttachRejectedError } from './errors.js';
import type { TagRef, TagResolver } from './tag-resolver.js';

/** The vSphere event classes this function acts on (DRS clusters send the first, others the second). */
export const POWER_ON_EVENT_CLASSES: ReadonlySet<string> = new Set([
  'DrsVmPoweredOnEvent',
  'VmPoweredOnEvent',
]);

const REFUSALS: ReadonlySet<string> = new Set(['UNAUTHORIZED', 'UNAUTHENTICATED']);

/** The subset of a pino logger the handler uses. */
export interface HandlerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What the handler needs: an attacher (the batcher) and the cached tag. */
export interface PowerOnDeps {
  /** Attaches the current tag to one VM; rejects with that VM's own error. */
  attach(tagId: string, vmId: string, signal?: AbortSignal): Promise<void>;
  tags: Pick<TagResolver, 'current' | 'refresh'>;
  logger: HandlerLogger;
  /** Aborted at the handler's deadline. */
  signal?: AbortSignal;
}

/** The 200 body of a processed event. */
export interface PowerOnResult {
  vm: string;
  vmName: string | undefined;
  tag: string;
  tagId: string;
}

/**
 * Attaches the configured tag to the VM a power-on event names.
 *
 * - other event classes -> `{ skipped: 'type not handled' }` (200)
 * - no usable `data.Vm.Vm` (missing, null, not a VirtualMachine) -> InvalidEventError (400)
 * - the VM no longer exists -> InvalidEventError (400), logged at warn
 * - vCenter down, rate-limiting or the tag lookup failing -> DependencyUnavailableError (503)
 * - the tag was deleted and cannot be found again, or vCenter refuses (permissions) -> UpstreamRejectedError (502)
 */
export async function handlePowerOn(
  event: CloudEvent<unknown>,
  deps: PowerOnDeps,
): Promise<HandleResult> {
  // Reads only type/subject: an event of another class is skipped whatever its body holds.
  if (!matchesEventClass(event, POWER_ON_EVENT_CLASSES)) return { skipped: 'type not handled' };
  // Checks the envelope and that data.Vm.Vm names a VirtualMachine with a usable moref (else 400).
  const vm = parseVSphereEvent(event).requireVm();

  const tag = await attachWithTagRefresh(vm.moref, deps);
  deps.logger.info(
    { vm: vm.moref, vmName: vm.name, tag: tag.name, tagId: tag.id },
    `attached tag ${tag.name} to ${vm.moref} (${vm.name ?? 'unnamed'})`,
  );
  const body: PowerOnResult = { vm: vm.moref, vmName: vm.name, tag: tag.name, tagId: tag.id };
  return { status: 200, body };
}

/** Attaches the cached tag; when vCenter says the tag is gone, looks it up once more and retries once. */
async function attachWithTagRefresh(vmId: string, deps: PowerOnDeps): Promise<TagRef> {
  const tag = deps.tags.current();
  try {
    await deps.attach(tag.id, vmId, deps.signal);
    return tag;
  } catch (error) {
    if (!(error instanceof TagMissingError)) throw mapAttachError(error, vmId, deps);
  }

  deps.logger.warn(
    { tag: tag.name, tagId: tag.id },
    `tag ${tag.name} (${tag.id}) is gone from vCenter: looking it up again`,
  );
  let fresh: TagRef | undefined;
  try {
    fresh = await deps.tags.refresh(tag.id);
  } catch (error) {
    if (isRetryable(error)) throw mapAttachError(error, vmId, deps);
    // e.g. the name became ambiguous across categories: only the operator can fix that.
    throw new UpstreamRejectedError(
      `cannot look tag ${tag.name} up again: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  if (fresh === undefined) {
    const message = `tag ${tag.name} no longer exists in vCenter: recreate it, or set VCENTER_TAG_CREATE_IF_MISSING=true`;
    deps.logger.error({ tag: tag.name, tagId: tag.id }, message);
    throw new UpstreamRejectedError(message);
  }
  try {
    await deps.attach(fresh.id, vmId, deps.signal);
    return fresh;
  } catch (error) {
    if (error instanceof TagMissingError) {
      throw new DependencyUnavailableError(
        `tag ${fresh.name} vanished again while attaching it to ${vmId}`,
        {
          cause: error,
        },
      );
    }
    throw mapAttachError(error, vmId, deps);
  }
}

/** Turns an attach failure into the runtime's error family. */
function mapAttachError(error: unknown, vmId: string, deps: PowerOnDeps): unknown {
  if (error instanceof VmAttachRejectedError) {
    if (error.notFound) {
      const reason = `vm ${vmId} does not exist in vCenter (deleted since it powered on?)`;
      deps.logger.warn({ vm: vmId, detail: error.detail }, reason);
      return new InvalidEventError(reason, { cause: error });
    }
    return new UpstreamRejectedError(error.message, { cause: error });
  }
  if (isRetryable(error)) {
    return new DependencyUnavailableError(
      `vCenter unavailable while tagging ${vmId}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  // Credentials or privileges vCenter refuses (after the client's one re-login): only the operator can fix that.
  if (error instanceof VCenterError && REFUSALS.has(error.vapiType)) {
    return new UpstreamRejectedError(`vCenter refused to tag ${vmId}: ${error.message}`, {
      cause: error,
    });
  }
  return error;
}

/** VCenterError (and the runtime's own DependencyUnavailableError) say whether a retry may help. */
function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'DependencyUnavailableError') return true;
  return (error as { retryable?: unknown }).retryable === true;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
