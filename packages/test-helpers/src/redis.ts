import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A redis-server for a test: either one this helper started, or the shared one named by `REDIS_URL`. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (or the `REDIS_URL` that was reused). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** A prefix unique to this call: put every key under it so tests sharing one server never collide. */
  readonly keyPrefix: string;
  /** True when `REDIS_URL` was reused: `pause`, `restart`, `freeze` and `thaw` are then unavailable. */
  readonly external: boolean;
  /** Stops the server (started ones only) and removes its data directory. Idempotent. */
  stop(): Promise<void>;
  /**
   * Simulates an outage: stops the process. With `keepData` (default true) the server writes its
   * dataset first (`SHUTDOWN SAVE`) so `restart()` comes back with it, like a Redis with persistence;
   * with `keepData: false` it is killed and the data is gone.
   */
  pause(options?: { keepData?: boolean }): Promise<void>;
  /** Starts the server again on the same port after `pause()`. */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open, commands hang until they time out. */
  freeze(): void;
  /** Undoes `freeze()` (SIGCONT). */
  thaw(): void;
}

export interface StartRedisOptions {
  /** Always start a private server, even when `REDIS_URL` is set (needed for outage tests). */
  dedicated?: boolean;
  /** Defaults to `process.env.REDIS_URL`. */
  reuseUrl?: string;
  /** Defaults to `/usr/bin/redis-server`. */
  binary?: string;
  /** Milliseconds to wait for the server to answer PING. Default 10 000. */
  startTimeoutMs?: number;
}

/** Thrown when redis-server cannot be started or an outage helper is used on a reused server. */
export class RedisHelperError extends Error {
  override readonly name = 'RedisHelperError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

// A test runner that exits without calling stop() must not leave redis-server behind.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function uniquePrefix(): string {
  return `test:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

async function freePort(): Promise<number> {
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

/** Sends one inline command over a raw socket and resolves with the first reply line. */
async function rawCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new RedisHelperError(`no reply to ${command} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply.split('\r\n')[0] ?? '');
      }
    });
    socket.once('close', () => {
      clearTimeout(timer);
      if (!reply.includes('\r\n')) resolve(reply);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function waitForPing(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new RedisHelperError(`redis-server exited early (code ${String(child.exitCode)})`, {
        cause: lastError,
      });
    }
    try {
      if ((await rawCommand(port, 'PING', 500)) === '+PONG') return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new RedisHelperError(
    `redis-server on port ${port} did not answer PING within ${timeoutMs} ms`,
    {
      cause: lastError,
    },
  );
}

async function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
}

function spawnServer(binary: string, port: number, dir: string): ChildProcess {
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--dbfilename',
      'dump.rdb',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--protected-mode',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: 'ignore' },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

function externalServer(url: string): RedisServer {
  const parsed = new URL(url);
  const refusal = (what: string) =>
    new RedisHelperError(
      `${what}() needs a server this helper started; call startRedis({ dedicated: true })`,
    );
  const refuse = (what: string): never => {
    throw refusal(what);
  };
  return {
    url,
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    keyPrefix: uniquePrefix(),
    external: true,
    stop: () => Promise.resolve(),
    pause: () => Promise.reject(refusal('pause')),
    restart: () => Promise.reject(refusal('restart')),
    freeze: () => refuse('freeze'),
    thaw: () => refuse('thaw'),
  };
}

/**
 * Starts a throwaway redis-server on a free loopback port (`--save '' --appendonly no`), or reuses
 * the server in `REDIS_URL` with a unique key prefix. The process is killed on `stop()` and when the
 * test process exits.
 *
 * @example
 * const redis = await startRedis();
 * afterAll(() => redis.stop());
 * const store = createStateStore({ redisUrl: redis.url, keyPrefix: redis.keyPrefix, logger });
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const reuse = options.reuseUrl ?? process.env.REDIS_URL;
  if (reuse && !options.dedicated) return externalServer(reuse);

  const binary = options.binary ?? '/usr/bin/redis-server';
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'veba-redis-'));

  // Another process can take the free port between probe and bind: try a few ports.
  let port = 0;
  let child: ChildProcess | undefined;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3 && !child; attempt++) {
    port = await freePort();
    const candidate = spawnServer(binary, port, dir);
    try {
      await waitForPing(port, candidate, startTimeoutMs);
      child = candidate;
    } catch (error) {
      lastError = error;
      candidate.kill('SIGKILL');
      await waitForExit(candidate);
    }
  }
  if (!child) {
    rmSync(dir, { recursive: true, force: true });
    throw new RedisHelperError(`could not start ${binary}`, { cause: lastError });
  }

  let current: ChildProcess | undefined = child;
  let stopped = false;
  const alive = (): ChildProcess => {
    if (!current) throw new RedisHelperError('redis-server is paused; call restart() first');
    return current;
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    keyPrefix: uniquePrefix(),
    external: false,
    async stop() {
      if (stopped) return;
      stopped = true;
      const proc = current;
      current = undefined;
      if (proc) {
        proc.kill('SIGCONT');
        proc.kill('SIGKILL');
        await waitForExit(proc);
      }
      rmSync(dir, { recursive: true, force: true });
    },
    async pause({ keepData = true } = {}) {
      const proc = alive();
      proc.kill('SIGCONT');
      if (keepData) {
        // The connection closes when the server exits; the reply (if any) does not matter.
        await rawCommand(port, 'SHUTDOWN SAVE', 5000).catch(() => '');
      } else {
        proc.kill('SIGKILL');
      }
      await waitForExit(proc);
      current = undefined;
    },
    async restart() {
      if (stopped) throw new RedisHelperError('redis-server was stopped');
      if (current) throw new RedisHelperError('redis-server is running; call pause() first');
      const proc = spawnServer(binary, port, dir);
      try {
        await waitForPing(port, proc, startTimeoutMs);
      } catch (error) {
        proc.kill('SIGKILL');
        throw error;
      }
      current = proc;
    },
    freeze() {
      alive().kill('SIGSTOP');
    },
    thaw() {
      alive().kill('SIGCONT');
    },
  };
}
