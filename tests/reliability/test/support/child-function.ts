/**
 * A function as its container runs it: `node functions/<name>/dist/main.js` in a child process
 * (the shared launcher of `@veba-functions/test-helpers`), with every line it prints kept.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  httpRequest,
  launchProcess,
  type LaunchedProcess,
} from '@veba-functions/test-helpers';

/** The repository root (tests/reliability/test/support -> ../../../..). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/** A function running in a child process. */
export interface ChildFunction {
  readonly name: string;
  readonly url: string;
  readonly process: LaunchedProcess;
  /** Everything it printed so far (stdout and stderr, as received). */
  output(): string;
  /**
   * SIGTERM; resolves with the exit once the process has exited (and, after a clean stop, its
   * last line, `stopped`, has been read).
   */
  terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The outcome of a start that must fail. */
export interface FailedStart {
  code: number | null;
  /** Everything it printed. */
  output: string;
}

/**
 * How every child function is launched: `functions/<name>/dist/main.js` on `port`, its environment
 * only what it is given plus PATH (no inherited secrets), its output kept whole (far below 8 MiB
 * in these tests).
 */
function childProcess(name: string, port: number, env: Record<string, string>) {
  return {
    name: `${name} :${port}`,
    command: process.execPath,
    args: [join(repoRoot, 'functions', name, 'dist', 'main.js')],
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: String(port), ...env },
    logLimitBytes: 8 * 1024 * 1024,
  };
}

/** Polls `done` every 20 ms until it holds, or fails naming `what` after `timeoutMs`. */
async function until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Starts `functions/<name>/dist/main.js` on a free port; resolves once readiness answers 200.
 *
 * @example
 * const fn = await launchFunction('slack-alert', { SLACK_WEBHOOK_URL: slack.url });
 * await fn.terminate();
 */
export async function launchFunction(
  name: string,
  env: Record<string, string>,
): Promise<ChildFunction> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = await launchProcess({
    ...childProcess(name, port, env),
    readyTimeoutMs: 20_000,
    ready: async () =>
      (await httpRequest(url, { method: 'GET', path: '/health/readiness' })).status === 200,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 10_000,
  });
  return {
    name,
    url,
    process: proc,
    output: () => proc.logs(),
    async terminate() {
      proc.signal('SIGTERM');
      const exit = await proc.exited;
      if (exit.code === 0)
        await until(() => proc.logs().includes('"msg":"stopped"'), `${name}'s "stopped" line`);
      return exit;
    },
  };
}

/**
 * Starts `functions/<name>/dist/main.js` expecting init to fail: resolves with its exit code and
 * everything it printed, once `printed` (the start-up error) has been read.
 */
export async function launchFailingFunction(
  name: string,
  env: Record<string, string>,
  printed: RegExp,
): Promise<FailedStart> {
  const port = await freePort();
  const proc = await launchProcess(childProcess(name, port, env));
  const timer = setTimeout(() => proc.signal('SIGKILL'), 20_000);
  const { code } = await proc.exited;
  clearTimeout(timer);
  await until(() => printed.test(proc.logs()), `${name} to print ${String(printed)}`, 5_000).catch(
    () => undefined,
  );
  return { code, output: proc.logs() };
}
