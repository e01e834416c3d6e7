/**
 * A failure the user can fix: bad arguments, a missing function, an unreadable or invalid event
 * file, an unreachable URL. The CLI prints its message on one line and exits with `exitCode` (2).
 */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  readonly exitCode: number;

  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options?.exitCode ?? 2;
  }
}

/** Wrong command-line usage (unknown command or option, missing argument). */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
}

/** An event file or fixture that cannot be read or is not a usable event. */
export class EventFileError extends CliError {
  override readonly name = 'EventFileError';
}

/** A function name that does not match a folder under functions/. */
export class FunctionNotFoundError extends CliError {
  override readonly name = 'FunctionNotFoundError';
}

/** The target URL could not be reached after every retry (connection refused, DNS, timeout). */
export class UnreachableError extends CliError {
  override readonly name = 'UnreachableError';
}

/** The error's message on one line (line breaks folded), for the CLI's single-line errors. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message.replace(/\s*\n\s*/g, ' ');
}
