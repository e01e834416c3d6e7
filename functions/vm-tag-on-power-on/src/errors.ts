/** Errors of the attach path, raised by the vCenter adapter and mapped to HTTP statuses by the handler. */

/** The configured tag no longer exists in vCenter (deleted after init): the whole bulk call failed. */
export class TagMissingError extends Error {
  override readonly name = 'TagMissingError';
  constructor(
    readonly tagId: string,
    options?: { cause?: unknown },
  ) {
    super(`tag ${tagId} does not exist in vCenter`, options);
  }
}

/** vCenter refused to attach the tag to one VM of a bulk call. */
export class VmAttachRejectedError extends Error {
  override readonly name = 'VmAttachRejectedError';
  constructor(
    readonly vmId: string,
    /** The VM does not exist (any more): deleted since it powered on. */
    readonly notFound: boolean,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`vCenter refused to attach the tag to ${vmId}: ${detail}`, options);
  }
}
