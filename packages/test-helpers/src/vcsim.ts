import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A running govmomi vcsim (VPX inventory, `/rest` vAPI endpoints, TLS) for one test file. */
export interface VcsimServer {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** vcsim accepts any non-empty username and password; these are the ones it advertises. */
  readonly username: string;
  readonly password: string;
  /** PEM file holding vcsim's self-signed certificate (it is its own CA; valid for 127.0.0.1). */
  readonly caFile: string;
  /** Morefs of the VMs in the simulated inventory, e.g. `vm-57`. */
  readonly vms: readonly string[];
  /** Stops vcsim and removes its temporary files. Idempotent. */
  stop(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open and requests hang until they time out. */
  freeze(): void;
  /** Undoes `freeze()` (SIGCONT). */
  thaw(): void;
}

export interface StartVcsimOptions {
  /** vCenter session idle timeout; sessions idle for about 1-2x this long are deleted. Default: never. */
  idleTimeoutSeconds?: number;
  /** Milliseconds to wait for the ready line. Default 30 000. */
  startTimeoutMs?: number;
  /** Milliseconds to allow for building vcsim on first use. Default 300 000. */
  buildTimeoutMs?: number;
}

/** Thrown when vcsim cannot be built or started. */
export class VcsimHelperError extends Error {
  override readonly name = 'VcsimHelperError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const READY_PREFIX = 'VCSIM_READY ';
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
let built: Promise<string> | undefined;

// A test runner that exits without calling stop() must not leave vcsim behind (vcsim also
// exits by itself when its stdin closes, i.e. when this process dies without running hooks).
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** Finds tools/vcsim from this file (src/ or dist/ of packages/test-helpers). */
function toolDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'tools', 'vcsim');
    if (existsSync(join(candidate, 'build.sh'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new VcsimHelperError(
        'tools/vcsim/build.sh not found above ' + fileURLToPath(import.meta.url),
      );
    dir = parent;
  }
}

/**
 * Builds tools/vcsim/bin/vcsim once per process; build.sh itself skips an up-to-date binary and
 * holds a lock file, so parallel test files build it once per machine.
 */
function ensureBuilt(timeoutMs: number): Promise<string> {
  built ??= new Promise<string>((resolve, reject) => {
    const dir = toolDir();
    execFile(
      'bash',
      [join(dir, 'build.sh')],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (error) {
          built = undefined;
          reject(
            new VcsimHelperError(
              `building vcsim failed: ${stderr.trim().slice(-2000) || error.message}`,
              { cause: error },
            ),
          );
          return;
        }
        resolve(join(dir, 'bin', 'vcsim'));
      },
    );
  });
  return built;
}

function goDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new VcsimHelperError('idleTimeoutSeconds must be a positive number');
  return `${Math.round(seconds * 1000)}ms`;
}

interface ReadyLine {
  url: string;
  host: string;
  port: string;
  username: string;
  password: string;
  certFile: string;
  vms: string[] | null;
}

/**
 * Starts govmomi's vCenter simulator on a free loopback port, building it first if needed.
 *
 * @example
 * const vcsim = await startVcsim({ idleTimeoutSeconds: 1 });
 * const client = createVCenterClient({ server: vcsim.url, username: vcsim.username, password: vcsim.password, ca: vcsim.caFile });
 * ...
 * await vcsim.stop();
 */
export async function startVcsim(options: StartVcsimOptions = {}): Promise<VcsimServer> {
  const binary = await ensureBuilt(options.buildTimeoutMs ?? 300_000);
  const tmp = mkdtempSync(join(tmpdir(), 'vcsim-'));
  const certFile = join(tmp, 'vcsim-ca.pem');
  const args = ['-listen', '127.0.0.1:0', '-cert-file', certFile];
  if (options.idleTimeoutSeconds !== undefined)
    args.push('-idle-timeout', goDuration(options.idleTimeoutSeconds));

  installExitHook();
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: tmp });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  let ready: ReadyLine;
  try {
    ready = await new Promise<ReadyLine>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new VcsimHelperError(
              `vcsim did not start within ${options.startTimeoutMs ?? 30_000} ms: ${stderr.trim()}`,
            ),
          ),
        options.startTimeoutMs ?? 30_000,
      );
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        if (!line.startsWith(READY_PREFIX)) return;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line.slice(READY_PREFIX.length)) as ReadyLine);
        } catch (cause) {
          reject(
            new VcsimHelperError(`vcsim printed an unreadable ready line: ${line}`, { cause }),
          );
        }
      });
      child.once('error', (cause) => {
        clearTimeout(timer);
        reject(new VcsimHelperError(`vcsim could not be started: ${cause.message}`, { cause }));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new VcsimHelperError(
            `vcsim exited before it was ready (code ${code}, signal ${signal}): ${stderr.trim()}`,
          ),
        );
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }

  let stopped: Promise<void> | undefined;
  return {
    url: ready.url,
    host: ready.host,
    port: Number(ready.port),
    username: ready.username,
    password: ready.password,
    caFile: ready.certFile,
    vms: ready.vms ?? [],
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGCONT');
          child.stdin.end();
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(killer);
        }
        rmSync(tmp, { recursive: true, force: true });
      })();
      return stopped;
    },
    freeze() {
      child.kill('SIGSTOP');
    },
    thaw() {
      child.kill('SIGCONT');
    },
  };
}
