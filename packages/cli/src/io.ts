/** Where a command writes and where it runs; tests pass their own. */
export interface CliContext {
  /** Working directory the arguments are relative to. */
  cwd: string;
  /** Writes one line of normal output. */
  out(line: string): void;
  /** Writes one line of diagnostics. */
  err(line: string): void;
  /** Aborted on Ctrl-C: long-running commands stop waiting. */
  signal?: AbortSignal;
}

/** The context of the real process: stdout, stderr, process.cwd(). */
export function processContext(signal?: AbortSignal): CliContext {
  return {
    cwd: process.cwd(),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    signal,
  };
}
