// What goes into the image runs: the Dockerfile's steps, reproduced in a temp dir without a
// container engine (none runs here), then the function started from that tree until readiness
// answers 200 and an event is handled. Slow by nature (a full npm ci): about a minute or two.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './support/helm.js';

const execFileP = promisify(execFile);
const FUNCTION = 'echo';
const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');

const quietEnv = {
  ...process.env,
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  TURBO_TELEMETRY_DISABLED: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
};

async function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = quietEnv,
): Promise<void> {
  try {
    await execFileP(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

async function waitForStatus(
  url: string,
  status: number,
  child: ChildProcess,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(
        `the function exited with ${child.exitCode} before ${url} answered ${status}`,
      );
    try {
      last = (await fetch(url, { signal: AbortSignal.timeout(2_000) })).status;
      if (last === status) return last;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}

describe('Dockerfile', () => {
  it('builds any function with the pruned, production-only, non-root steps the smoke test reproduces', () => {
    expect(dockerfile).toMatch(/^ARG FUNCTION$/m);
    expect(dockerfile).toMatch(/^FROM node:\d+\.\d+\.\d+-slim AS base$/m);
    expect(dockerfile).toContain('turbo prune "@veba-functions/$FUNCTION" --docker');
    expect(dockerfile).toMatch(/npm ci --omit=peer/);
    expect(dockerfile).toContain('turbo run build --filter="@veba-functions/$FUNCTION"');
    expect(dockerfile).toContain('npm prune --omit=dev');
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).toMatch(/NODE_ENV=production/);
    expect(dockerfile).toContain('exec node \\"functions/${FUNCTION}/dist/main.js\\"');
    // The runtime stage carries no sources or build tools: it copies the pruned tree only.
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime).not.toMatch(/^RUN /m);
    expect(runtime).toContain('COPY --from=build /app ./');
  });

  it('has a .dockerignore that keeps node_modules, dist and git out of the context', () => {
    const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.git', '**/.env'])
      expect(ignore).toContain(entry);
  });
});

describe(`image smoke test: ${FUNCTION} from a pruned, production-only tree`, () => {
  let scratch: string;
  let app: string;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'veba-image-'));
    const out = join(scratch, 'out');
    app = join(scratch, 'app');
    // 1. prune (turbo from the repo, as the image's pinned turbo)
    await run(
      join(repoRoot, 'node_modules', '.bin', 'turbo'),
      ['prune', `@veba-functions/${FUNCTION}`, '--docker', '--out-dir', out],
      repoRoot,
    );
    // 2. install from the pruned manifests; the npm cache is warm after the root npm ci
    cpSync(join(out, 'json'), app, { recursive: true });
    await run('npm', ['ci', '--omit=peer', '--prefer-offline', '--no-audit', '--no-fund'], app);
    // 3. sources, the root tsconfig the workspaces extend, build, production dependencies only
    cpSync(join(out, 'full'), app, { recursive: true });
    cpSync(join(repoRoot, 'tsconfig.base.json'), join(app, 'tsconfig.base.json'));
    await run('npx', ['turbo', 'run', 'build', `--filter=@veba-functions/${FUNCTION}`], app);
    await run('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund'], app);
  }, 240_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('holds the function, its workspace dependencies and no dev tooling', () => {
    expect(existsSync(join(app, 'functions', FUNCTION, 'dist', 'main.js'))).toBe(true);
    expect(existsSync(join(app, 'packages', 'runtime', 'dist'))).toBe(true);
    // Pruned: no other function, no workspace echo does not depend on.
    expect(existsSync(join(app, 'functions', 'vm-tag-on-power-on'))).toBe(false);
    expect(existsSync(join(app, 'packages', 'cli'))).toBe(false);
    for (const dev of [
      'typescript',
      'vitest',
      'turbo',
      'eslint',
      '@aws-cdk/lambda-layer-kubectl-v33',
    ]) {
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    }
  });

  it('starts with NODE_ENV=production, answers readiness 200, handles an event and drains on SIGTERM', async () => {
    const port = await freePort();
    child = spawn(process.execPath, [join('functions', FUNCTION, 'dist', 'main.js')], {
      cwd: app,
      env: {
        PATH: process.env['PATH'],
        NODE_ENV: 'production',
        PORT: String(port),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const base = `http://127.0.0.1:${port}`;
    await waitForStatus(`${base}/health/readiness`, 200, child, 30_000);
    expect((await fetch(`${base}/health/liveness`)).status).toBe(200);

    const id = `smoke-${Date.now()}`;
    const res = await fetch(base, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': id,
        'ce-source': 'https://vcenter.smoke.local/sdk',
        'ce-type': 'com.vmware.vsphere.VmPoweredOnEvent.v0',
      },
      body: JSON.stringify({ Key: 4242, FullFormattedMessage: 'smoke-vm on esx-01 is powered on' }),
    });
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    await expect.poll(() => output, { timeout: 5_000 }).toContain(id);

    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
