// What goes into the image runs: the Dockerfile's steps, reproduced in a temp dir without a
// container engine (none runs here), then the function started the way the runtime stage starts
// it (its ENV and CMD, read from the Dockerfile by scripts/image-runtime.mjs) from a directory
// holding only what the runtime stage copies, until readiness answers 200 and an event is
// handled. Slow by nature (a full npm ci): about a minute or two.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../packages/test-helpers/src/child-process.js';
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
): Promise<string> {
  try {
    return (await execFileP(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
    );
  }
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

/** What the runtime stage runs, as scripts/image-runtime.mjs reads it from the Dockerfile. */
interface ImageRuntime {
  env: Record<string, string>;
  entry: string;
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe('Dockerfile', () => {
  const stage = (name: string) => {
    const start = dockerfile.search(new RegExp(`^FROM \\S+ AS ${name}$`, 'm'));
    const next = dockerfile.slice(start + 1).search(/^FROM /m);
    return next === -1 ? dockerfile.slice(start) : dockerfile.slice(start, start + 1 + next);
  };

  it('builds any function with the pruned steps, bundles it and ships the bundle only, non-root', () => {
    expect(dockerfile).toMatch(/^ARG FUNCTION$/m);
    expect(dockerfile).toMatch(/^FROM node:\d+\.\d+\.\d+-slim AS base$/m);
    expect(dockerfile).toContain('turbo prune "@veba-functions/$FUNCTION" --docker');
    expect(dockerfile).toMatch(/npm ci --omit=peer/);
    const build = stage('build');
    expect(build).toContain('COPY scripts/bundle-function.mjs ./scripts/');
    // A function's build script bundles it (functions/<name>/dist/main.js).
    expect(build).toContain('turbo run build --filter="@veba-functions/$FUNCTION"');
    const pkg = JSON.parse(
      readFileSync(join(repoRoot, 'functions', FUNCTION, 'package.json'), 'utf8'),
    ) as { scripts: { build: string } };
    expect(pkg.scripts.build).toBe(
      'tsc -p tsconfig.build.json && node ../../scripts/bundle-function.mjs',
    );
    // The compile cache is written by the runtime's user: Node names its folder after the uid.
    const cache = stage('compile-cache');
    expect(cache.indexOf('USER 1000:1000')).toBeGreaterThan(-1);
    expect(cache.indexOf('USER 1000:1000')).toBeLessThan(cache.indexOf('--compile-cache'));
    // The runtime stage runs nothing and copies the bundle (with its map and licences), the
    // function's package.json ("type": "module") and the compile cache, nothing else.
    const runtime = stage('runtime');
    expect(runtime).not.toMatch(/^RUN /m);
    expect(runtime.match(/^COPY .*$/gm)).toEqual([
      'COPY --from=build /app/functions/${FUNCTION}/package.json ./functions/${FUNCTION}/',
      'COPY --from=build /app/functions/${FUNCTION}/dist/main.js /app/functions/${FUNCTION}/dist/main.js.map /app/functions/${FUNCTION}/dist/THIRD-PARTY-LICENSES.txt ./functions/${FUNCTION}/dist/',
      'COPY --from=compile-cache /tmp/compile-cache/ ./.compile-cache/',
    ]);
    expect(runtime).toMatch(/^USER 1000:1000$/m);
    expect(runtime).toMatch(/NODE_ENV=production/);
    expect(runtime).toMatch(/NODE_COMPILE_CACHE=\/app\/\.compile-cache/);
    expect(runtime).toContain('exec node \\"functions/${FUNCTION}/dist/main.js\\"');
  });

  it('has a .dockerignore that keeps node_modules, dist and git out of the context', () => {
    const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.git', '**/.env'])
      expect(ignore).toContain(entry);
    // The build stage copies the bundling script from the context.
    expect(ignore).not.toContain('scripts');
  });
});

describe(`image smoke test: ${FUNCTION} as the runtime stage holds and starts it`, () => {
  let scratch: string;
  let app: string;
  let image: string;
  let shipped: ImageRuntime;
  let cacheFiles: string[];
  let hasCompileCache: boolean;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'veba-image-'));
    const out = join(scratch, 'out');
    app = join(scratch, 'app');
    image = join(scratch, 'image');
    // 1. prune (turbo from the repo, as the image's pinned turbo)
    await run(
      join(repoRoot, 'node_modules', '.bin', 'turbo'),
      ['prune', `@veba-functions/${FUNCTION}`, '--docker', '--out-dir', out],
      repoRoot,
    );
    // 2. install from the pruned manifests; the npm cache is warm after the root npm ci
    cpSync(join(out, 'json'), app, { recursive: true });
    await run('npm', ['ci', '--omit=peer', '--prefer-offline', '--no-audit', '--no-fund'], app);
    // 3. sources, the root files the build copies, build, bundle
    cpSync(join(out, 'full'), app, { recursive: true });
    cpSync(join(repoRoot, 'tsconfig.base.json'), join(app, 'tsconfig.base.json'));
    cpSync(
      join(repoRoot, 'scripts', 'bundle-function.mjs'),
      join(app, 'scripts', 'bundle-function.mjs'),
    );
    await run('npx', ['turbo', 'run', 'build', `--filter=@veba-functions/${FUNCTION}`], app);
    shipped = JSON.parse(
      await run('node', [join(repoRoot, 'scripts', 'image-runtime.mjs'), FUNCTION], repoRoot),
    ) as ImageRuntime;
    // 4. compile cache, written where the bundle will run (Node keys the cache on the path)
    const dist = join('functions', FUNCTION, 'dist');
    mkdirSync(join(image, dist), { recursive: true });
    for (const file of ['main.js', 'main.js.map', 'THIRD-PARTY-LICENSES.txt'])
      cpSync(join(app, dist, file), join(image, dist, file));
    cpSync(
      join(app, 'functions', FUNCTION, 'package.json'),
      join(image, 'functions', FUNCTION, 'package.json'),
    );
    cpSync(join(app, 'scripts'), join(image, 'scripts'), { recursive: true });
    const cacheOut = join(scratch, 'compile-cache');
    const said = await run(
      'node',
      ['scripts/bundle-function.mjs', '--compile-cache', cacheOut, FUNCTION],
      image,
    );
    hasCompileCache = !said.includes('has no module compile cache');
    rmSync(join(image, 'scripts'), { recursive: true });
    // 5. the runtime stage: the bundle (copied above) and the cache
    mkdirSync(join(image, '.compile-cache'));
    if (existsSync(cacheOut)) cpSync(cacheOut, join(image, '.compile-cache'), { recursive: true });
    cacheFiles = filesUnder(join(image, '.compile-cache'));
  }, 240_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('ships one bundle (with its source map and licences) and its compile cache: no node_modules, no sources', () => {
    expect(shipped.entry).toBe(`functions/${FUNCTION}/dist/main.js`);
    const files = filesUnder(image).filter((file) => !file.startsWith('.compile-cache/'));
    expect(files).toEqual([
      `functions/${FUNCTION}/dist/THIRD-PARTY-LICENSES.txt`,
      `functions/${FUNCTION}/dist/main.js`,
      `functions/${FUNCTION}/dist/main.js.map`,
      `functions/${FUNCTION}/package.json`,
    ]);
    const licences = readFileSync(
      join(image, `functions/${FUNCTION}/dist/THIRD-PARTY-LICENSES.txt`),
      'utf8',
    );
    for (const dependency of ['pino@', 'prom-client@', 'zod@', 'cloudevents@'])
      expect(licences).toContain(dependency);
    // Node 22.1 and later write a cache (the image's Node does); older ones have none to write.
    if (hasCompileCache) expect(cacheFiles.length).toBeGreaterThan(0);
    else expect(cacheFiles).toEqual([]);
  });

  it('starts as the runtime stage starts it, answers readiness 200, handles an event and drains on SIGTERM', async () => {
    const port = await freePort();
    // The image's ENV, with its paths under /app (the WORKDIR) moved to this directory.
    const env = Object.fromEntries(
      Object.entries(shipped.env).map(([key, value]) => [
        key,
        value.replace(/^\/app(?=\/|$)/, image),
      ]),
    );
    expect(env['NODE_ENV']).toBe('production');
    child = spawn(process.execPath, [shipped.entry], {
      cwd: image,
      env: { PATH: process.env['PATH'], ...env, PORT: String(port), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const base = `http://127.0.0.1:${port}`;
    await waitForStatus(`${base}/health/readiness`, 200, child, 30_000);
    expect((await fetch(`${base}/health/liveness`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain(
      'process_cpu_user_seconds_total',
    );

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
    // Every line is JSON: nothing printed around the logger (no bundling warning at run time).
    for (const line of output.trim().split('\n'))
      expect(() => JSON.parse(line) as unknown).not.toThrow();
  });
});
