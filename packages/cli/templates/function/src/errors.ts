import { InvalidEventError } from '@veba-functions/runtime';

/**
 * The function's own errors. Each extends the runtime error whose status it means, so the runtime
 * answers for it: an `InvalidEventError` is a 400 (the broker does not retry), an
 * `UpstreamRejectedError` a 502, a `DependencyUnavailableError` a 503 (retried).
 */

/** The event names a VM without a name, so `VM_NAME_PATTERN` cannot be applied: 400. */
export class VmNameMissingError extends InvalidEventError {
  override readonly name = 'VmNameMissingError';
  constructor(readonly vm: string) {
    super(`data.Vm.Name is missing for ${vm}`);
  }
}
