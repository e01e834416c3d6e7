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
