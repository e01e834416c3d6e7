import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pretty from 'pino-pretty';
import { CliError, UsageError } from '../errors.js';
import type { CliContext } from '../io.js';
import { devPort, parsePort } from '../ports.js';
import { sampleForTypes } from '../events.js';
import { findRepoRoot, resolveFunctionDir } from '../repo.js';
import { readTriggers } from '../values.js';

export const DEV_USAGE = `veba-fn dev <function> [--env-file FILE] [--port N] [--raw-logs]

Runs functions/<function>/src/main.ts with tsx in watch mode (restarts on every change),
pretty-printed logs, in-memory state (REDIS_URL is removed from the environment) and the
variables of FILE (default: functions/<function>/.env when it exists; Node's --env-file,
so variables already set in your shell win). Listens on --port or the function's dev port
(veba-fn list); veba-fn send <function> delivers there.`;

/** The child process command line `dev` runs (exported for tests and the README). */
export function devCommandLine(options: { functionDir: string; envFile?: string }): {
  command: string;
  args: string[];
} {
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
  const args = [tsxCli, 'watch', '--clear-screen=false'];
  if (options.envFile) args.push(`--env-file=${options.envFile}`);
  args.push(join(options.functionDir, 'src', 'main.ts'));
  return { command: process.execPath, args };
}

/** `veba-fn dev`: resolves when the watcher exits (Ctrl-C), with its exit code. */
export async function devCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'env-file': { type: 'string' },
      port: { type: 'string' },
      'raw-logs': { type: 'boolean', default: false },
    },
  });
  const [name] = positionals;
  if (!name || positionals.length > 1) throw new UsageError('usage: ' + DEV_USAGE.split('\n')[0]);
  const root = findRepoRoot(ctx.cwd);
  const functionDir = resolveFunctionDir(root, name);
  if (!existsSync(join(functionDir, 'src', 'main.ts'))) {
    throw new CliError(`functions/${name}/src/main.ts not found`);
  }
  let port = devPort(name);
  if (values.port !== undefined) {
    try {
      port = parsePort(values.port);
    } catch (error) {
      throw new UsageError(`--port: ${(error as Error).message}`);
    }
  }
  let envFile: string | undefined;
  if (values['env-file'] !== undefined) {
    envFile = resolve(ctx.cwd, values['env-file']);
    if (!existsSync(envFile)) throw new CliError(`env file ${values['env-file']} not found`);
  } else if (existsSync(join(functionDir, '.env'))) {
    envFile = join(functionDir, '.env');
  }

  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  delete env.REDIS_URL;
  const { command, args } = devCommandLine({ functionDir, envFile });
  ctx.err(
    `veba-fn dev ${name}: http://127.0.0.1:${port}  (watching, in-memory state` +
      (envFile ? `, env from ${relative(ctx.cwd, envFile) || envFile})` : ', no .env file)'),
  );
  const types = readTriggers(functionDir).flatMap((t) => (t.type ? [t.type] : []));
  const sample = sampleForTypes(types) ?? 'kn-py-echo__testevent.json';
  ctx.err(`  try: veba-fn send ${name} ${sample} --times 3`);

  const child = spawn(command, args, {
    cwd: functionDir,
    env,
    stdio: ['inherit', 'pipe', 'inherit'],
  });
  if (values['raw-logs']) {
    child.stdout.pipe(process.stdout);
  } else {
    // pino-pretty passes lines that are not JSON (tsx's restart notices) through unchanged.
    child.stdout.pipe(
      pretty({
        colorize: process.stdout.isTTY,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
      }),
    );
  }
  const stop = (): void => {
    child.kill('SIGTERM');
  };
  ctx.signal?.addEventListener('abort', stop, { once: true });
  return new Promise<number>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      ctx.signal?.removeEventListener('abort', stop);
      resolvePromise(code ?? (signal ? 0 : 1));
    });
  });
}
