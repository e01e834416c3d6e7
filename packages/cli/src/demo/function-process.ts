import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest } from '@veba-functions/test-helpers';
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
  /** Bound on "listening" and on init (each). Default 30 000 ms. */
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

function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  child.kill('SIGTERM');
  return exited.then(() => clearTimeout(killer));
}

/**
 * Starts a built function on a free port (`PORT=0`; the port comes from the runtime's
 * "listening" log line), its state in memory unless `env` names a Redis, its output in
 * `<logDir>/<label>.log`, and waits for
 * `/health/readiness` (init done). Rejects with FunctionStartError naming the function, how it
 * exited, its last log line and the log file.
 */
export async function startFunctionProcess(
  options: StartFunctionProcessOptions,
): Promise<FunctionProcess> {
  const { logDir } = options;
  const name = options.label ?? options.name;
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const functionDir = join(options.root, 'functions', options.name);
  const script = functionEntryPoint(functionDir);
  const logFile = join(logDir, `${name}.log`);
  // Node's own "Cannot find module" stack would hide the point: the function is not built.
  if (!existsSync(script)) {
    throw new FunctionStartError(
      `${name}: ${join(functionDir, 'dist', 'main.js')} does not exist (not built: npm run build -w @veba-functions/${options.name})`,
      { functionName: name, logFile },
    );
  }
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  delete inherited.REDIS_URL;
  const env: NodeJS.ProcessEnv = { ...inherited, ...options.env, PORT: '0', LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, [script], {
    cwd: functionDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  const lines: string[] = [];
  const keep = (line: string): void => {
    log.write(`${line}\n`);
    lines.push(line);
    if (lines.length > 20) lines.shift();
  };
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`an error (${error.message})`));
    // `close`, not `exit`: it comes after the last output line has been read.
    child.once('close', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`));
  });
  void exited.then(() => log.end());
  const stop = (): Promise<void> => stopChild(child, exited);
  const fail = async (how: string): Promise<never> => {
    await stop();
    const last = lines.length > 0 ? logMessage(lines[lines.length - 1]!) : 'no output';
    throw new FunctionStartError(`${name} ${how}: ${last} (log: ${logFile})`, {
      functionName: name,
      logFile,
    });
  };
  createInterface({ input: child.stderr }).on('line', keep);

  const port = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(
      () => resolve(`did not log "listening" within ${timeoutMs} ms`),
      timeoutMs,
    );
    createInterface({ input: child.stdout }).on('line', (line) => {
      keep(line);
      const found = listeningPort(line);
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    void exited.then((how) => {
      clearTimeout(timer);
      resolve(`exited with ${how} before listening`);
    });
  });
  if (typeof port === 'string') return fail(port);

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  let exit: string | undefined;
  void exited.then((how) => (exit = how));
  for (;;) {
    const status = await httpRequest(url, {
      method: 'GET',
      path: '/health/readiness',
      signal: AbortSignal.timeout(2_000),
    }).then(
      (reply) => reply.status,
      () => 0,
    );
    if (status === 200) break;
    if (exit !== undefined) return fail(`exited with ${exit} during init`);
    if (Date.now() > deadline) return fail(`not ready within ${timeoutMs} ms`);
    await sleep(50);
  }
  return { name, url, logFile, stop };
}
