/** The state store could not answer (Redis down, command timed out, script failed). */
export class StateStoreError extends Error {
  override readonly name = 'StateStoreError';
  /** The store operation that failed, e.g. `claim` or `advance`. */
  readonly operation: string;
  constructor(operation: string, message: string, options?: { cause?: unknown }) {
    super(`state store ${operation} failed: ${message}`, options);
    this.operation = operation;
  }
}

/** A state option or config value is unusable. The message names the key, never its value. */
export class StateConfigError extends Error {
  override readonly name = 'StateConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An error's message for a log field (a store error's text never holds the Redis password). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
