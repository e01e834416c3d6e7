import type { VcsimActionResult } from './vcsim-control.js';

/** Thrown when vcsim cannot be built or started, or its control endpoint cannot be reached. */
export class VcsimHelperError extends Error {
  override readonly name: string = 'VcsimHelperError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Thrown when the control endpoint refuses an action: 400 (bad request), 404 (no such VM or host),
 * 409 (vSphere answered with a fault, e.g. `InvalidPowerState`), 502 (vcsim's API failed).
 */
export class VcsimActionError extends VcsimHelperError {
  override readonly name = 'VcsimActionError';
  /** HTTP status of the control endpoint's answer. */
  readonly status: number;
  /** The vSphere fault's type name, when vSphere raised one (e.g. `InvalidPowerState`). */
  readonly fault: string | undefined;
  /** What the action did before it failed (events included), when the endpoint reported it. */
  readonly result: VcsimActionResult | undefined;
  constructor(
    message: string,
    details: { status: number; fault?: string; result?: VcsimActionResult; cause?: unknown },
  ) {
    super(message, { cause: details.cause });
    this.status = details.status;
    this.fault = details.fault;
    this.result = details.result;
  }
}
