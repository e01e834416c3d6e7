// .github/scripts/affected-functions.sh, the part of images.yml that decides which images a
// change rebuilds, run for real (git, the locked turbo, node) against a scratch monorepo with the
// project's layout: packages/lib, functions/a (depends on lib), functions/b, functions/c.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './support/helm.js';

const execFileP = promisify(execFile);
const script = join(repoRoot, '.github', 'scripts', 'affected-functions.sh');
const EVERY = ['a', 'b', 'c'];

const env = {
  ...process.env,
  // The locked turbo of this repository, as images.yml installs it.
  PATH: `${join(repoRoot, 'node_modules', '.bin')}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
  TURBO_TELEMETRY_DISABLED: '1',
  TURBO_NO_UPDATE_NOTIFIER: '1',
  GIT_AUTHOR_NAME: 'test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

let repo: string;

async function git(...args: string[]): Promise<string> {
  const { stdout } = await execFileP('git', args, { cwd: repo, env });
  return stdout.trim();
}

function write(path: string, text: string): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), text);
}

/** Commits one change on top of the current HEAD and returns the new commit. */
async function commit(path: string, text: string): Promise<string> {
  write(path, text);
  await git('add', '-A');
  await git('commit', '-q', '-m', `change ${path}`);
  return git('rev-parse', 'HEAD');
}

/** Runs the script in the scratch repository; returns the functions and the stated reason. */
async function affected(base: string): Promise<{ functions: string[]; reason: string }> {
  const { stdout, stderr } = await execFileP('bash', [script, base], { cwd: repo, env });
  return { functions: JSON.parse(stdout) as string[], reason: stderr };
}

const pkg = (name: string, deps: Record<string, string> = {}) =>
  JSON.stringify({ name, version: '1.0.0', private: true, dependencies: deps }, null, 2);

let root: string;

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'veba-affected-'));
  const rootPackage = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    packageManager: string;
  };
  write(
    'package.json',
    JSON.stringify(
      {
        name: 'scratch',
        private: true,
        packageManager: rootPackage.packageManager,
        workspaces: ['packages/*', 'functions/*'],
      },
      null,
      2,
    ),
  );
  write('packages/lib/package.json', pkg('@scratch/lib'));
  write('functions/a/package.json', pkg('@scratch/a', { '@scratch/lib': '*' }));
  write('functions/b/package.json', pkg('@scratch/b'));
  write('functions/c/package.json', pkg('@scratch/c'));
  for (const dir of ['packages/lib', 'functions/a', 'functions/b', 'functions/c'])
    write(`${dir}/src/index.ts`, 'export {};\n');
  write('turbo.json', JSON.stringify({ tasks: { build: { outputs: ['dist/**'] } } }, null, 2));
  write('tsconfig.base.json', '{}\n');
  write('Dockerfile', 'FROM node:26-slim\n');
  write('.dockerignore', 'node_modules\n');
  write('scripts/bundle-function.mjs', '// bundles a function\n');
  // Workspaces only, no registry packages: the lock file is written offline.
  await execFileP(
    'npm',
    ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit'],
    { cwd: repo, env },
  );
  await execFileP('git', ['init', '-q', '-b', 'main'], { cwd: repo, env });
  await git('add', '-A');
  await git('commit', '-q', '-m', 'init');
  root = await git('rev-parse', 'HEAD');
}, 120_000);

afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
});

describe('affected-functions.sh', () => {
  it('builds only the function whose own files changed, and what depends on a changed package', async () => {
    const before = await git('rev-parse', 'HEAD');
    await commit('functions/b/src/index.ts', 'export const b = 1;\n');
    expect((await affected(before)).functions).toEqual(['b']);

    const beforeLib = await git('rev-parse', 'HEAD');
    await commit('packages/lib/src/index.ts', 'export const lib = 1;\n');
    expect((await affected(beforeLib)).functions).toEqual(['a']);

    // A function's own package.json is its own input, not an image-wide one.
    const beforeManifest = await git('rev-parse', 'HEAD');
    await commit('functions/c/package.json', pkg('@scratch/c', {}).replace('1.0.0', '1.0.1'));
    expect((await affected(beforeManifest)).functions).toEqual(['c']);
  });

  it.each([
    ['the root package.json alone (overrides)', 'package.json'],
    ['package-lock.json', 'package-lock.json'],
    ['tsconfig.base.json', 'tsconfig.base.json'],
    ['the Dockerfile', 'Dockerfile'],
    ['.dockerignore', '.dockerignore'],
    ['turbo.json', 'turbo.json'],
    ['the bundling script every build runs', 'scripts/bundle-function.mjs'],
  ])(
    'rebuilds every function when %s changes: the Dockerfile copies it into every image',
    async (_label, path) => {
      const before = await git('rev-parse', 'HEAD');
      const text = readFileSync(join(repo, path), 'utf8');
      const isJson = path.endsWith('.json') && path !== 'tsconfig.base.json';
      // Edits that keep every file valid for turbo, which reads package.json, the lock and turbo.json.
      const json = isJson ? (JSON.parse(text) as Record<string, unknown>) : {};
      const changed =
        path === 'package.json'
          ? JSON.stringify({ ...json, overrides: { 'left-pad': '1.3.0' } }, null, 2)
          : path === 'turbo.json'
            ? JSON.stringify({ ...json, globalEnv: ['CHANGED'] }, null, 2)
            : path === 'package-lock.json'
              ? JSON.stringify({ ...json, name: 'scratch-renamed' }, null, 2)
              : `${text}# changed\n`;
      await commit(path, changed);
      const { functions, reason } = await affected(before);
      expect(functions).toEqual(EVERY);
      expect(reason).toContain(`image-wide input changed since ${before}: ${path}`);
    },
  );

  it('covers a push whose own run was replaced: base..HEAD spans both pushes', async () => {
    // images.yml takes the head of the last successful run as base, not github.event.before:
    // push 1 (b) is pending, push 2 (c) replaces it, and the run for push 2 must build both.
    const lastBuilt = await git('rev-parse', 'HEAD');
    const push1 = await commit('functions/b/src/index.ts', 'export const b = 2;\n');
    await commit('functions/c/src/index.ts', 'export const c = 2;\n');
    expect((await affected(push1)).functions).toEqual(['c']); // what github.event.before gave
    expect((await affected(lastBuilt)).functions).toEqual(['b', 'c']);
  });

  it.each([
    ['no base (tags, manual runs)', () => '', /no base commit/],
    ['a new branch (all-zero before)', () => '0'.repeat(40), /no base commit/],
    ['a base this clone does not have', () => 'f'.repeat(40), /not in this clone/],
  ])('rebuilds every function for %s', async (_label, base, reason) => {
    const result = await affected(base());
    expect(result.functions).toEqual(EVERY);
    expect(result.reason).toMatch(reason);
  });

  it('rebuilds every function when the base is not an ancestor of HEAD (history rewritten)', async () => {
    const main = await git('rev-parse', 'HEAD');
    await git('checkout', '-q', '-b', 'rewritten', root);
    const elsewhere = await commit('functions/b/src/index.ts', 'export const b = 3;\n');
    await git('checkout', '-q', main);
    const result = await affected(elsewhere);
    expect(result.functions).toEqual(EVERY);
    expect(result.reason).toMatch(/not an ancestor of HEAD/);
  });

  it('fails, rather than answering an empty list, when turbo cannot run', async () => {
    const before = await git('rev-parse', 'HEAD');
    await commit('functions/b/src/index.ts', 'export const b = 4;\n');
    const run = execFileP('bash', [script, before], {
      cwd: repo,
      // Node stays reachable (the script needs it); turbo does not.
      env: { ...env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
    });
    await expect(run).rejects.toMatchObject({ code: expect.any(Number) as number });
  });
});
