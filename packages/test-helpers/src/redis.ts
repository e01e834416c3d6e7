import { randomBytes } from 'node:crypto';
import {
  createTempDir,
  freePort,
  launchProcess,
  LaunchError,
  type LaunchedProcess,
} from './child-process.js';
import { redisCommand, redisInfo } from './redis-command.js';

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
  /**
   * Append-only file with an fsync per write (`--appendonly yes --appendfsync always`): every
   * acknowledged write survives even a SIGKILL (`pause({ keepData: false })`), like a production
   * Redis with AOF persistence. Default false (no persistence). Started servers only.
   */
  appendOnly?: boolean;
}

/** Thrown when redis-server cannot be started or an outage helper is used on a reused server. */
export class RedisHelperError extends Error {
  override readonly name = 'RedisHelperError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const DEFAULT_REDIS_BINARY = '/usr/bin/redis-server';

/** `test:<pid>:<random>:`, unique per call. */
export function uniqueKeyPrefix(): string {
  return `test:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** How one redis-server (or sentinel) process of a test is started. */
export interface RedisNodeSpec {
  binary: string;
  port: number;
  /** Its private data directory. */
  dir: string;
  /** Arguments after the common ones, e.g. `--cluster-enabled yes`. */
  extraArgs?: readonly string[];
  /** A config file to start from (sentinels need one they can rewrite). */
  configFile?: string;
  startTimeoutMs: number;
  name?: string;
}

/**
 * Starts one redis-server process through the shared launcher. It is ready once the process on
 * the port is this one (`INFO server` names its pid, so a server some other process left on the
 * port is never mistaken for it) and answers without `LOADING`.
 * @internal shared by startRedis and the topologies.
 */
export async function launchRedisNode(spec: RedisNodeSpec): Promise<LaunchedProcess> {
  const args = [
    ...(spec.configFile ? [spec.configFile] : []),
    '--port',
    String(spec.port),
    '--bind',
    '127.0.0.1',
    '--dir',
    spec.dir,
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
    ...(spec.extraArgs ?? []),
  ];
  return launchProcess({
    name: spec.name ?? `redis-server :${spec.port}`,
    command: spec.binary,
    args,
    readyTimeoutMs: spec.startTimeoutMs,
    ready: async (proc) => {
      const info = await redisInfo(spec.port, 'server', { timeoutMs: 500 });
      return info.get('process_id') === String(proc.pid);
    },
    // SIGTERM: redis-server exits at once (no save is configured); sentinels too.
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 5_000,
  });
}

/**
 * Starts `spec` on a free port, trying another port when something takes it between the probe
 * and the bind. `spec` gets the port.
 * @internal
 */
export async function launchOnFreePort(
  spec: (port: number) => RedisNodeSpec | Promise<RedisNodeSpec>,
  attempts = 3,
): Promise<{ port: number; process: LaunchedProcess }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = await freePort();
    try {
      return { port, process: await launchRedisNode(await spec(port)) };
    } catch (error) {
      lastError = error;
    }
  }
  const message = lastError instanceof Error ? lastError.message : String(lastError);
  throw new RedisHelperError(`could not start redis-server: ${message}`, { cause: lastError });
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
    keyPrefix: uniqueKeyPrefix(),
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

  const binary = options.binary ?? DEFAULT_REDIS_BINARY;
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const extraArgs = options.appendOnly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : [];
  const dir = createTempDir('veba-redis-');
  let port: number;
  let current: LaunchedProcess | undefined;
  try {
    ({ port, process: current } = await launchOnFreePort((p) => ({
      binary,
      port: p,
      dir: dir.path,
      startTimeoutMs,
      extraArgs,
    })));
  } catch (error) {
    dir.remove();
    throw error;
  }

  let stopped = false;
  const alive = (): LaunchedProcess => {
    if (!current) throw new RedisHelperError('redis-server is paused; call restart() first');
    return current;
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    keyPrefix: uniqueKeyPrefix(),
    external: false,
    async stop() {
      if (stopped) return;
      stopped = true;
      const proc = current;
      current = undefined;
      await proc?.kill();
      dir.remove();
    },
    async pause({ keepData = true } = {}) {
      const proc = alive();
      proc.signal('SIGCONT');
      if (keepData) {
        // The connection closes when the server exits; the reply (if any) does not matter.
        await redisCommand(port, ['SHUTDOWN', 'SAVE'], { timeoutMs: 5000 }).catch(() => null);
        await proc.exited;
      } else {
        await proc.kill();
      }
      current = undefined;
    },
    async restart() {
      if (stopped) throw new RedisHelperError('redis-server was stopped');
      if (current) throw new RedisHelperError('redis-server is running; call pause() first');
      try {
        current = await launchRedisNode({
          binary,
          port,
          dir: dir.path,
          startTimeoutMs,
          extraArgs,
        });
      } catch (error) {
        const message = error instanceof LaunchError ? error.message : String(error);
        throw new RedisHelperError(`redis-server did not restart: ${message}`, { cause: error });
      }
    },
    freeze() {
      alive().signal('SIGSTOP');
    },
    thaw() {
      alive().signal('SIGCONT');
    },
  };
}
