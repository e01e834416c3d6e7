import { CliError } from '../errors.js';

/** A demo function that did not start: not built, exited during init, or never ready. */
export class FunctionStartError extends Error {
  override readonly name = 'FunctionStartError';
  /** The folder name under `functions/`. */
  readonly functionName: string;
  /** Where its output went. */
  readonly logFile: string;

  constructor(
    message: string,
    options: { functionName: string; logFile: string; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.functionName = options.functionName;
    this.logFile = options.logFile;
  }
}

/**
 * The demo could not run: functions that failed to start (`failures`, one line each), or a peer
 * that failed (a vcsim action refused). Exit code 1.
 */
export class DemoError extends CliError {
  override readonly name = 'DemoError';
  readonly failures: readonly FunctionStartError[];

  constructor(
    message: string,
    options: { failures?: readonly FunctionStartError[]; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause, exitCode: 1 });
    this.failures = options.failures ?? [];
  }
}
