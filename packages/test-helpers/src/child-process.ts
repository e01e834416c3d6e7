import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Options of {@link launchProcess}: one child-process peer of a test (redis-server, vcsim, ...). */
export interface LaunchOptions {
  /** Names the process in errors, e.g. `redis-server :6379`. Default: the command. */
  name?: string;
  command: string;
  args?: readonly string[];
  cwd?: string;
  /** Environment of the child. Default: this process's environment. */
  env?: NodeJS.ProcessEnv;
  /**
   * Keep the child's stdin open as a pipe. A peer that exits on end of input (vcsim) then dies
   * with this process even when no exit hook runs (SIGKILL of the test runner).
   */
  stdinLifeline?: boolean;
  /**
   * Readiness probe, polled every `readyIntervalMs` until it returns true. A throw counts as "not
   * yet" (its error is kept for the timeout message). Omit it for a process that is ready at spawn.
   */
  ready?: (process: LaunchedProcess) => Promise<boolean> | boolean;
  /** How long `ready` may take. Default 10 000 ms. */
  readyTimeoutMs?: number;
  /** Default 50 ms. */
  readyIntervalMs?: number;
  /** Signal `stop()` sends first. Default `SIGTERM`. */
  stopSignal?: NodeJS.Signals;
  /** How long `stop()` waits after `stopSignal` before SIGKILL. Default 5 000 ms. */
  stopTimeoutMs?: number;
  /** How much of stdout + stderr `logs()` keeps (the tail). Default 64 KiB. */
  logLimitBytes?: number;
  /**
   * Called with every complete output line from the first one on (what `onLine()` would miss
   * before `launchProcess` resolves: a port or ready line printed during start-up).
   */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** A started child process. */
export interface LaunchedProcess {
  readonly name: string;
  readonly pid: number;
  /** False once the process has exited. */
  readonly running: boolean;
  /** Settles when the process has exited and its last output line was read (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The tail of stdout and stderr, interleaved as received. */
  logs(): string;
  /** Calls `listener` with every complete output line from now on; returns an unsubscribe function. */
  onLine(listener: (line: string, stream: 'stdout' | 'stderr') => void): () => void;
  /** Sends a signal if the process still runs (e.g. SIGSTOP / SIGCONT to freeze and thaw it). */
  signal(signal: NodeJS.Signals): void;
  /** Sends the stop signal, then SIGKILL after `stopTimeoutMs`; resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: nothing is flushed) and wait for the exit. Idempotent. */
  kill(): Promise<void>;
}

/** A child process could not be started, exited early, or did not become ready in time. */
export class LaunchError extends Error {
  override readonly name = 'LaunchError';
  /** The tail of the child's output when it failed, for the test log. */
  readonly logs: string;
  /** How it exited, when it exited before it was ready. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  constructor(
    message: string,
    logs = '',
    options?: {
      cause?: unknown;
      exit?: { code: number | null; signal: NodeJS.Signals | null };
    },
  ) {
    super(
      logs.trim() ? `${message}\n--- output ---\n${logs.trim().slice(-4000)}` : message,
      options,
    );
    this.logs = logs;
    this.exit = options?.exit;
  }
}

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

// A test runner that exits without calling stop() must not leave peers or temp dirs behind.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spins until /proc says the process is stopped (state `T`), for at most `limitMs`. Linux only;
 * elsewhere (no /proc) it returns at once.
 */
function waitUntilStopped(pid: number, limitMs = 1000): void {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return;
    }
    // pid (comm) state ...: comm may hold spaces and parentheses, so read after the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'T' || state === 't') return;
  }
}

/**
 * Spawns a peer process, captures its output, waits until `ready` says so and registers it to be
 * SIGKILLed when the test process exits. The one launcher behind `startRedis()`, the Redis
 * topologies and any other child-process peer.
 *
 * @example
 * const proc = await launchProcess({
 *   name: 'redis-server',
 *   command: '/usr/bin/redis-server',
 *   args: ['--port', String(port)],
 *   ready: async () => (await redisCommand(port, ['PING'])) === 'PONG',
 *   stopSignal: 'SIGTERM',
 * });
 * await proc.stop();
 */
export async function launchProcess(options: LaunchOptions): Promise<LaunchedProcess> {
  const name = options.name ?? options.command;
  const logLimit = options.logLimitBytes ?? 64 * 1024;
  installExitHook();

  const child = spawn(options.command, [...(options.args ?? [])], {
    cwd: options.cwd,
    env: options.env,
    stdio: [options.stdinLifeline ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      children.delete(child);
    });
    // `close`, not `exit`: it comes after the last output line has been read.
    child.once('close', (code, signal) => resolve(exitInfo ?? { code, signal }));
    // ENOENT and the like: 'exit' never comes, so settle here.
    child.once('error', (error) => {
      spawnError = error;
      exitInfo ??= { code: null, signal: null };
      children.delete(child);
      resolve(exitInfo);
    });
  });

  let output = '';
  const listeners = new Set<(line: string, stream: 'stdout' | 'stderr') => void>();
  if (options.onLine) listeners.add(options.onLine);
  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = '';
    const source = child[stream];
    source?.setEncoding('utf8');
    source?.on('data', (chunk: string) => {
      output = (output + chunk).slice(-logLimit);
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) for (const listener of listeners) listener(line, stream);
    });
  }

  let stopping: Promise<void> | undefined;
  const terminate = (first: NodeJS.Signals, graceMs: number): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo) return;
      // A frozen (SIGSTOPped) process would not act on SIGTERM.
      child.kill('SIGCONT');
      child.kill(first);
      const killer =
        first === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(killer);
      child.stdin?.destroy();
    })();
    return stopping;
  };

  const launched: LaunchedProcess = {
    name,
    pid: child.pid ?? -1,
    get running() {
      return exitInfo === undefined;
    },
    exited,
    logs: () => output,
    onLine(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    signal(signal) {
      if (exitInfo) return;
      child.kill(signal);
      // kill() only queues SIGSTOP: a request sent right after could still be answered by a peer
      // that has not stopped yet. Wait (briefly, synchronously) until the kernel says it stopped.
      if (signal === 'SIGSTOP' && child.pid !== undefined) waitUntilStopped(child.pid);
    },
    stop: () => terminate(options.stopSignal ?? 'SIGTERM', options.stopTimeoutMs ?? 5_000),
    kill: () => terminate('SIGKILL', 0),
  };

  // 'spawn' or 'error' comes first, on a later tick: only then is an ENOENT known.
  await Promise.race([once(child, 'spawn').catch(() => undefined), exited]);
  if (spawnError) {
    throw new LaunchError(`${name} could not be started: ${spawnError.message}`, '', {
      cause: spawnError,
    });
  }
  if (!options.ready) return launched;
  const timeoutMs = options.readyTimeoutMs ?? 10_000;
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (exitInfo) {
      const exit = await exited; // its last lines read
      throw new LaunchError(
        `${name} exited before it was ready (code ${String(exit.code)}, signal ${String(exit.signal)})`,
        output,
        { cause: lastError, exit },
      );
    }
    try {
      if (await options.ready(launched)) return launched;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= until) {
      await launched.kill();
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new LaunchError(`${name} was not ready within ${timeoutMs} ms${why}`, output, {
        cause: lastError,
      });
    }
    await sleep(options.readyIntervalMs ?? 50);
  }
}

/** A free TCP port on the loopback interface (probed, then released: bind it soon). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A private temporary directory, removed by `remove()` or when the test process exits. */
export interface TempDir {
  readonly path: string;
  remove(): void;
}

/** Creates a {@link TempDir} under the OS temp directory, named `<prefix>XXXXXX`. */
export function createTempDir(prefix: string): TempDir {
  installExitHook();
  const path = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(path);
  return {
    path,
    remove() {
      tempDirs.delete(path);
      rmSync(path, { recursive: true, force: true });
    },
  };
}
