import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { DemoFunction } from './demo-function.js';
import { DemoError } from './errors.js';

function runLogged(command: string, args: string[], cwd: string, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logFile);
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    child.once('error', (error) =>
      reject(new DemoError(`${command} could not be started: ${error.message}`, { cause: error })),
    );
    child.once('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new DemoError(`${command} ${args.join(' ')} failed (exit ${code}); see ${logFile}`),
          ),
    );
  });
}

/**
 * Builds what the demo runs, in parallel: the entries' functions with the packages they depend on
 * (`turbo run build --filter=@veba-functions/<name>...`, cached) and, when `vcsim` is set,
 * tools/vcsim (`build.sh`, a no-op when the binary is current). Output goes to `build.log` and
 * `vcsim-build.log` in `logDir`. A failed function build rejects with DemoError naming its log; a
 * failed vcsim build is returned (the demo runs without vcsim and says why).
 */
export async function buildDemo(options: {
  root: string;
  functions: readonly DemoFunction[];
  vcsim: boolean;
  logDir: string;
}): Promise<{ vcsimError?: Error }> {
  const names = [...new Set(options.functions.map((f) => f.name))];
  const filters = names.map((name) => `--filter=@veba-functions/${name}...`);
  const vcsim = options.vcsim
    ? runLogged(
        'bash',
        [join(options.root, 'tools', 'vcsim', 'build.sh')],
        options.root,
        join(options.logDir, 'vcsim-build.log'),
      ).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      )
    : Promise.resolve(undefined);
  try {
    await runLogged(
      'npx',
      ['turbo', 'run', 'build', '--output-logs=errors-only', ...filters],
      options.root,
      join(options.logDir, 'build.log'),
    );
  } finally {
    // Never leave the vcsim build running unawaited.
    await vcsim;
  }
  const vcsimError = await vcsim;
  return vcsimError === undefined ? {} : { vcsimError };
}
