import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  LaunchError,
  createTempDir,
  launchProcess,
  type LaunchedProcess,
} from './child-process.js';
import {
  createVcsimControl,
  type VcsimActions,
  type VcsimInventory,
  type VcsimSource,
} from './vcsim-control.js';
import { VcsimHelperError } from './vcsim-errors.js';
import { createDeliveryLog } from './vcsim-log.js';

export { VcsimActionError, VcsimHelperError } from './vcsim-errors.js';

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
  /** Names to morefs at start: `vms['DC0_H0_VM0'] === 'vm-57'`, `hosts['DC0_H0'] === 'host-21'`. */
  readonly inventory: VcsimInventory;
  /** Names to morefs now (VMs created since the start included), read through the vSphere API. */
  readInventory(): Promise<VcsimInventory>;
  /** Real vSphere operations (power, clone, create, maintenance) whose events vcsim records. */
  readonly actions: VcsimActions;
  /** The VEBA source emulator: sends vcsim's events to sinks as VEBA v0.8 CloudEvents. */
  readonly source: VcsimSource;
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
  /** URLs that get every event recorded after the start (more can be added with `source.addSink`). */
  sinks?: readonly string[];
  /** How the source emulator names itself and delivers. */
  source?: VcsimSourceOptions;
  /** The vCenter user `actions` run as when they name none. Default `VSPHERE.LOCAL\Administrator`. */
  driverUser?: string;
}

/** Source emulator settings (tools/vcsim flags); the defaults suit tests. */
export interface VcsimSourceOptions {
  /** The vCenter address VSphereSource would be configured with; `source` becomes `https://<address>/sdk`. Default: vcsim's own URL. */
  address?: string;
  /** Timeout of one POST in milliseconds. Default 5 000. */
  timeoutMs?: number;
  /** Retries after a failed POST. Default 3. */
  retries?: number;
  /** Delay before the first retry in milliseconds, doubled for each further one. Default 100. */
  backoffMs?: number;
  /** `any` (default): retry network errors and every non-2xx; `knative`: only network errors, 5xx, 404, 408, 409, 429. */
  retryOn?: 'any' | 'knative';
}

const READY_PREFIX = 'VCSIM_READY ';
let built: Promise<string> | undefined;

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
  inventory?: { vms: Record<string, string>; hosts: Record<string, string> };
  control?: string;
  source?: string;
}

function millis(name: string, ms: number | undefined, min: number): string[] {
  if (ms === undefined) return [];
  if (!Number.isFinite(ms) || ms < min)
    throw new VcsimHelperError(`source.${name} must be a number >= ${min}`);
  return [`${Math.round(ms)}ms`];
}

function sourceArgs(options: StartVcsimOptions): string[] {
  const args: string[] = [];
  for (const sink of options.sinks ?? []) args.push('-sink', sink);
  const source = options.source ?? {};
  if (source.address !== undefined) args.push('-source-address', source.address);
  for (const value of millis('timeoutMs', source.timeoutMs, 1)) args.push('-sink-timeout', value);
  for (const value of millis('backoffMs', source.backoffMs, 0)) args.push('-sink-backoff', value);
  if (source.retries !== undefined) {
    if (!Number.isInteger(source.retries) || source.retries < 0)
      throw new VcsimHelperError('source.retries must be a whole number >= 0');
    args.push('-sink-retries', String(source.retries));
  }
  if (source.retryOn !== undefined) args.push('-sink-retry-on', source.retryOn);
  if (options.driverUser !== undefined) args.push('-driver-user', options.driverUser);
  return args;
}

/**
 * Starts govmomi's vCenter simulator on a free loopback port, building it first if needed.
 *
 * @example
 * const vcsim = await startVcsim({ idleTimeoutSeconds: 1 });
 * const client = createVCenterClient({ server: vcsim.url, username: vcsim.username, password: vcsim.password, ca: vcsim.caFile });
 * ...
 * await vcsim.stop();
 *
 * @example
 * // vcsim as VEBA's event source: events go to the function as VEBA v0.8 CloudEvents.
 * const vcsim = await startVcsim({ sinks: [functionUrl] });
 * const { events, vm } = await vcsim.actions.clone('DC0_H0_VM0', 'web-07', { user: 'alice' });
 * // resolves once the function has answered for every event in `events`
 */
export async function startVcsim(options: StartVcsimOptions = {}): Promise<VcsimServer> {
  // The control endpoint costs a listener and one login; the source only starts with a sink.
  const args = ['-control', '127.0.0.1:0', ...sourceArgs(options)];
  if (options.idleTimeoutSeconds !== undefined)
    args.push('-idle-timeout', goDuration(options.idleTimeoutSeconds));
  const binary = await ensureBuilt(options.buildTimeoutMs ?? 300_000);
  const dir = createTempDir('vcsim-');
  const certFile = join(dir.path, 'vcsim-ca.pem');
  args.push('-listen', '127.0.0.1:0', '-cert-file', certFile);

  // The emulator's delivery lines (stderr) are collected apart; the ready line is on stdout.
  const deliveryLog = createDeliveryLog();
  let readyLine: string | undefined;
  let proc: LaunchedProcess;
  try {
    proc = await launchProcess({
      name: 'vcsim',
      command: binary,
      args,
      cwd: dir.path,
      // vcsim exits when its stdin closes: it dies with this process even when no hook runs.
      stdinLifeline: true,
      onLine: (line, stream) => {
        if (stream === 'stderr') deliveryLog.accept(line);
        else if (line.startsWith(READY_PREFIX)) readyLine ??= line.slice(READY_PREFIX.length);
      },
      ready: () => readyLine !== undefined,
      readyTimeoutMs: options.startTimeoutMs ?? 30_000,
      readyIntervalMs: 10,
      stopSignal: 'SIGTERM',
    });
  } catch (error) {
    dir.remove();
    throw new VcsimHelperError(
      error instanceof LaunchError ? error.message : `vcsim could not be started: ${String(error)}`,
      { cause: error },
    );
  }

  let ready: ReadyLine;
  try {
    ready = JSON.parse(readyLine!) as ReadyLine;
    if (ready.control === undefined || ready.source === undefined) {
      throw new VcsimHelperError(
        'vcsim did not report its control endpoint: tools/vcsim/bin/vcsim is older than its sources, run tools/vcsim/build.sh',
      );
    }
  } catch (error) {
    await proc.kill();
    dir.remove();
    throw error instanceof VcsimHelperError
      ? error
      : new VcsimHelperError(`vcsim printed an unreadable ready line: ${readyLine}`, {
          cause: error,
        });
  }
  const control = createVcsimControl(ready.control, ready.source, deliveryLog.log);

  let stopped: Promise<void> | undefined;
  return {
    url: ready.url,
    host: ready.host,
    port: Number(ready.port),
    username: ready.username,
    password: ready.password,
    caFile: ready.certFile,
    vms: ready.vms ?? [],
    inventory: ready.inventory ?? { vms: {}, hosts: {} },
    actions: control.actions,
    source: control.source,
    readInventory: () => control.readInventory(),
    stop() {
      stopped ??= proc.stop().then(() => dir.remove());
      return stopped;
    },
    freeze() {
      proc.signal('SIGSTOP');
    },
    thaw() {
      proc.signal('SIGCONT');
    },
  };
}
