import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FunctionNotFoundError, CliError } from './errors.js';

/**
 * The monorepo root: the nearest directory at or above `from` whose package.json declares
 * `workspaces`. The CLI works from any folder inside the repository.
 */
export function findRepoRoot(from: string = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown };
        if (pkg.workspaces !== undefined) return dir;
      } catch {
        // An unreadable package.json is not a root; keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new CliError(
        `not inside the veba-functions repository (no package.json with "workspaces" above ${from})`,
      );
    }
    dir = parent;
  }
}

/** The names of the folders under `<root>/functions` that hold a package.json, sorted. */
export function listFunctionNames(root: string): string[] {
  const dir = join(root, 'functions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() && existsSync(join(path, 'package.json'));
    })
    .sort();
}

/** The folder of function `name`, or a FunctionNotFoundError naming the functions that exist. */
export function resolveFunctionDir(root: string, name: string): string {
  const dir = join(root, 'functions', name);
  if (existsSync(join(dir, 'package.json'))) return dir;
  const known = listFunctionNames(root);
  throw new FunctionNotFoundError(
    `no function "${name}" in ${join(root, 'functions')} (known: ${known.join(', ') || 'none'})`,
  );
}
