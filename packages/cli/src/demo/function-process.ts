import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  httpRequest,
  launchProcess,
  LaunchError,
  type LaunchedProcess,
} from '@veba-functions/test-helpers';
import { FunctionStartError } from './errors.js';

/** A function running as its container does: `node functions/<name>/dist/main.js`. */
export interface FunctionProcess {
  /** The instance name (the folder name unless `label` was given). */
  readonly name: string;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every line the process wrote (stdout and stderr). */
  readonly logFile: string;
  /** SIGTERM (the runtime drains and exits), SIGKILL after 5 s. Idempotent. */
  stop(): Promise<void>;
}

export interface StartFunctionProcessOptions {
  /** The repository root (its `functions/` folder holds the function). */
  root: string;
  /** Its folder under `functions/`. */
  name: string;
  /** Its name in messages and its log file (`<label>.log`), for a second deployment. Default `name`. */
  label?: string;
  /**
   * Added to this process's environment; `PORT` and `LOG_LEVEL` are set. A `REDIS_URL` of the
   * demo's own environment is not passed on: only one given here.
   */
  env: Readonly<Record<string, string>>;
  /** Where `<label>.log` goes. */
  logDir: string;
  /** Bound on start to readiness ("listening", then init). Default 60 000 ms. */
  startTimeoutMs?: number;
}

/** The built entry point of every function, the container's command: `dist/main.js`. */
export function functionEntryPoint(functionDir: string): string {
  return join(functionDir, 'dist', 'main.js');
}

/** A pino JSON line as `msg (err.message)`, any other line as it is. */
export function logMessage(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: unknown; err?: { message?: unknown } };
    const detail = entry.err?.message;
    if (typeof entry.msg === 'string')
      return typeof detail === 'string' ? `${entry.msg} (${detail})` : entry.msg;
  } catch {
    // not JSON
  }
  return line.trim();
}

/** The port from the runtime's `listening; running init` line (`{"port":40123,...}`). */
function listeningPort(line: string): number | undefined {
  try {
    const entry = JSON.parse(line) as { port?: unknown };
    return typeof entry.port === 'number' && entry.port > 0 ? entry.port : undefined;
  } catch {
    return undefined;
  }
}

/** How a start failed, in the words the demo reports (`exited with code 1 during init`, ...). */
function failure(error: unknown, listening: boolean, timeoutMs: number): string {
  if (!(error instanceof LaunchError)) return `could not be started (${String(error)})`;
  const { exit } = error;
  if (exit !== undefined) {
    const how = exit.signal ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
    return `exited with ${how} ${listening ? 'during init' : 'before listening'}`;
  }
  return listening
    ? `not ready within ${timeoutMs} ms`
    : `did not log "listening" within ${timeoutMs} ms`;
}

/** The last line a process wrote, as {@link logMessage} reads it. */
function lastLine(output: string): string {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  return lines.length > 0 ? logMessage(lines[lines.length - 1]!) : 'no output';
}

/**
 * Starts a built function on a free port (`PORT=0`; the port comes from the runtime's
 * "listening" log line), its state in memory unless `env` names a Redis, its output in
 * `<logDir>/<label>.log`, and waits for `/health/readiness` (init done), through test-helpers'
 * `launchProcess` (SIGTERM then SIGKILL on stop, killed if the demo exits without stopping it).
 * Rejects with FunctionStartError naming the function, how it exited, its last log line and the
 * log file.
 */
export async function startFunctionProcess(
  options: StartFunctionProcessOptions,
): Promise<FunctionProcess> {
  const { logDir } = options;
  const name = options.label ?? options.name;
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const functionDir = join(options.root, 'functions', options.name);
  const script = functionEntryPoint(functionDir);
  const logFile = join(logDir, `${name}.log`);
  // Node's own "Cannot find module" stack would hide the point: the function is not built.
  if (!existsSync(script)) {
    throw new FunctionStartError(
      `${name}: ${script} does not exist (not built: npm run build -w @veba-functions/${options.name})`,
      { functionName: name, logFile },
    );
  }
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  delete inherited.REDIS_URL;
  const log = createWriteStream(logFile);
  let port: number | undefined;
  let launched: LaunchedProcess;
  try {
    launched = await launchProcess({
      name,
      command: process.execPath,
      args: [script],
      cwd: functionDir,
      env: { ...inherited, ...options.env, PORT: '0', LOG_LEVEL: 'info' },
      onLine(line, stream) {
        log.write(`${line}\n`);
        if (stream === 'stdout') port ??= listeningPort(line);
      },
      async ready() {
        if (port === undefined) return false;
        const reply = await httpRequest(`http://127.0.0.1:${port}`, {
          method: 'GET',
          path: '/health/readiness',
          signal: AbortSignal.timeout(2_000),
        });
        return reply.status === 200;
      },
      readyTimeoutMs: timeoutMs,
      stopTimeoutMs: 5_000,
    });
  } catch (error) {
    log.end();
    const output = error instanceof LaunchError ? error.logs : '';
    throw new FunctionStartError(
      `${name} ${failure(error, port !== undefined, timeoutMs)}: ${lastLine(output)} (log: ${logFile})`,
      { functionName: name, logFile, cause: error },
    );
  }
  void launched.exited.then(() => log.end());
  return { name, url: `http://127.0.0.1:${port!}`, logFile, stop: () => launched.stop() };
}
