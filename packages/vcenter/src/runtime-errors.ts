import {
  DependencyUnavailableError,
  InvalidEventError,
  UpstreamRejectedError,
} from '@veba-functions/runtime';
import { VCenterError } from './errors.js';

/**
 * The one mapping from a vCenter failure to the runtime's error family (and so to the status the
 * broker sees). `doing` names the work for the message, e.g. `tagging vm-42`.
 *
 * | `VCenterError`                                  | becomes                        | status |
 * | ----------------------------------------------- | ------------------------------ | ------ |
 * | `retryable` (network, timeout, 5xx, 429)        | `DependencyUnavailableError`   | 503    |
 * | `NOT_FOUND` about an object the event names     | `InvalidEventError`            | 400    |
 * | anything else (credentials, privileges, config) | `UpstreamRejectedError`        | 502    |
 *
 * Anything that is not a `VCenterError` is returned unchanged (a runtime error keeps its status,
 * anything else is a 500).
 *
 * @example
 * try { await vcenter.tagging.attach(tagId, vm.moref, { signal: ctx.signal }); }
 * catch (error) { throw toRuntimeError(error, `tagging ${vm.moref}`); }
 */
export function toRuntimeError(error: unknown, doing: string): unknown {
  if (!(error instanceof VCenterError)) return error;
  if (error.retryable) {
    return new DependencyUnavailableError(`vCenter unavailable while ${doing}: ${error.message}`, {
      cause: error,
    });
  }
  if (error.vapiType === 'NOT_FOUND' && error.objectId !== undefined) {
    return new InvalidEventError(`${error.objectId} does not exist in vCenter (${doing})`, {
      cause: error,
    });
  }
  return new UpstreamRejectedError(`vCenter refused ${doing}: ${error.message}`, { cause: error });
}

/** Where a failure came from, for {@link vmEventError}. */
export interface VmEventFailure {
  /** The VM the event names (its moref). */
  vm: string;
  /** The work, for the message: `tagging vm-42`. */
  doing: string;
  /** The event's logger: a VM that no longer exists is logged at warn (the broker drops a 400). */
  logger: { warn(fields: object, message: string): void };
  /** Appended to that warning (`deleted since it powered on?`). */
  hint?: string;
}

/**
 * {@link toRuntimeError} for the VM an event names, with the one log line a function owes a 400
 * the broker drops silently: "vm-42 does not exist in vCenter (tagging vm-42)" at warn.
 *
 * @example
 * catch (error) { throw vmEventError(error, { vm: vm.moref, doing: `tagging ${vm.moref}`, logger: ctx.logger }); }
 */
export function vmEventError(error: unknown, failure: VmEventFailure): unknown {
  const mapped = toRuntimeError(error, failure.doing);
  if (mapped instanceof InvalidEventError) {
    const hint = failure.hint === undefined ? '' : `: ${failure.hint}`;
    failure.logger.warn({ vm: failure.vm }, `${mapped.message}${hint}`);
  }
  return mapped;
}
