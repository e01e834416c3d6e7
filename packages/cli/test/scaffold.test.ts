import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { FUNCTION_FILES, functionShapeProblems } from '../src/function-shape.js';
import { NAME_PLACEHOLDER, PASCAL_PLACEHOLDER } from '../src/scaffold.js';
import { readTriggers } from '../src/values.js';
import { captureContext } from './helpers.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * A temp copy of the repository with only what a function build needs: the root manifests, the
 * lint config, the chart (for render) and node_modules as a symlink (whose workspace links point at the real packages'
 * dist). The new function lands in <copy>/functions/<name>, as `npm run new` puts it.
 */
function tempRepoCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'veba-fn-scaffold-'));
  for (const file of [
    'package.json',
    'tsconfig.base.json',
    'eslint.config.js',
    'vitest.shared.ts',
    '.prettierrc.json',
    '.prettierignore',
    '.gitignore',
  ]) {
    cpSync(join(repoRoot, file), join(dir, file));
  }
  // A function's build ends by bundling it with the repository's one bundling script.
  cpSync(
    join(repoRoot, 'scripts', 'bundle-function.mjs'),
    join(dir, 'scripts', 'bundle-function.mjs'),
  );
  cpSync(join(repoRoot, 'charts', 'veba-function'), join(dir, 'charts', 'veba-function'), {
    recursive: true,
  });
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** The parent's environment without vitest's own variables, so the nested run is a plain one. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VITEST') && key !== 'NODE_ENV' && key !== 'TEST') env[key] = value;
  }
  return env;
}

describe('veba-fn new', () => {
  let root: string;
  const name = 'vm-hello';
  let created: ReturnType<typeof captureContext>;
  let exitCode: number;

  beforeAll(async () => {
    root = tempRepoCopy();
    created = captureContext(root);
    exitCode = await runCli(['new', name], created);
  });

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('creates functions/<name> in exactly the one function shape', () => {
    expect(exitCode).toBe(0);
    const dir = join(root, 'functions', name);
    for (const file of [...FUNCTION_FILES, 'src/errors.ts']) {
      expect(existsSync(join(dir, file)), file).toBe(true);
    }
    expect(functionShapeProblems(dir)).toEqual([]);
    expect(created.stdout[0]).toBe(`created functions/${name}:`);
  });

  it('names the function everywhere and leaves no placeholder', () => {
    const dir = join(root, 'functions', name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string };
    expect(pkg.name).toBe(`@veba-functions/${name}`);
    expect(readFileSync(join(dir, 'src/index.ts'), 'utf8')).toContain(`name: '${name}'`);
    expect(readFileSync(join(dir, 'src/index.ts'), 'utf8')).toContain(
      'export function createVmHello()',
    );
    for (const file of [...FUNCTION_FILES, 'src/errors.ts']) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text, file).not.toContain(NAME_PLACEHOLDER);
      expect(text, file).not.toContain(PASCAL_PLACEHOLDER);
    }
    expect(readTriggers(dir).map((t) => t.type)).toEqual([
      'com.vmware.vsphere.VmPoweredOnEvent.v0',
      'com.vmware.vsphere.DrsVmPoweredOnEvent.v0',
    ]);
  });

  it('has chart values the chart accepts: veba-fn render gives a Service and its two Triggers', async () => {
    const ctx = captureContext(root);
    expect(await runCli(['render', name], ctx)).toBe(0);
    const yaml = ctx.stdout.join('\n');

    expect(yaml).toContain(`name: ${name}\n`);
    expect(yaml.match(/^kind: Trigger$/gm)).toHaveLength(2);
    expect(yaml).toContain('type: com.vmware.vsphere.DrsVmPoweredOnEvent.v0');
  });

  it('builds, typechecks, lints and passes its own tests without edits', async () => {
    const cwd = join(root, 'functions', name);
    const env = childEnv();
    await run('npm', ['run', 'build'], { cwd, env });
    expect(existsSync(join(cwd, 'dist', 'main.js'))).toBe(true);
    // Independent checks, run side by side to keep this test short.
    await Promise.all([
      run('npm', ['run', 'typecheck'], { cwd, env }),
      run('npm', ['run', 'lint'], { cwd, env }),
      run('npm', ['test'], { cwd, env, maxBuffer: 16 * 1024 * 1024 }),
    ]);
    // The template's vitest.config.ts writes the JSON report every workspace writes.
    const report = JSON.parse(readFileSync(join(cwd, 'test-results.json'), 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
    };
    expect(report.numFailedTests).toBe(0);
    expect(report.numPassedTests).toBeGreaterThanOrEqual(9);
    // Prettier ran over the scaffold: the repository's format check passes on it as written.
    await run('npx', ['prettier', '--check', `functions/${name}`], { cwd: root, env });
  }, 180_000);

  it('refuses an existing function and an invalid name (exit 2, one line)', async () => {
    const ctx = captureContext(root);
    expect(await runCli(['new', name], ctx)).toBe(2);
    expect(await runCli(['new', 'Bad_Name'], ctx)).toBe(2);
    expect(ctx.stderr).toEqual([
      `veba-fn: functions/${name} already exists`,
      'veba-fn: invalid function name "Bad_Name": use kebab-case (a-z, 0-9, single dashes), 2-50 characters, starting with a letter',
    ]);
  });
});
