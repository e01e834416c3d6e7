import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as PrettierModule from 'prettier';
import { CliError } from './errors.js';

type Prettier = typeof PrettierModule;

/** The template shipped with the CLI (packages/cli/templates/function). */
export const TEMPLATE_DIR = fileURLToPath(new URL('../templates/function/', import.meta.url));

/** The placeholder the template files carry, replaced by the new function's name. */
export const NAME_PLACEHOLDER = '__FUNCTION_NAME__';

/** The placeholder replaced by the name in PascalCase (`vm-hello` -> `VmHello`: `createVmHello()`). */
export const PASCAL_PLACEHOLDER = '__FUNCTION_PASCAL__';

/** `vm-hello` -> `VmHello`. */
export function pascalCase(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Function names: kebab-case, 2-50 characters, a letter first (Knative and npm both accept it). */
export const FUNCTION_NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Options of {@link scaffoldFunction}. */
export interface ScaffoldOptions {
  /** Repository root; the function lands in `<root>/functions/<name>`. */
  root: string;
  name: string;
  /** Template folder; defaults to {@link TEMPLATE_DIR}. */
  templateDir?: string;
}

/**
 * Creates `functions/<name>` from the template: copies every file and replaces
 * `__FUNCTION_NAME__` in their contents. Refuses an invalid or existing name.
 * Returns the new folder and the files written (relative to it).
 *
 * @example
 * const { dir } = scaffoldFunction({ root: findRepoRoot(), name: 'vm-snapshot-alert' });
 */
export function scaffoldFunction(options: ScaffoldOptions): { dir: string; files: string[] } {
  const { root, name } = options;
  const templateDir = options.templateDir ?? TEMPLATE_DIR;
  if (!FUNCTION_NAME_PATTERN.test(name) || name.length < 2 || name.length > 50) {
    throw new CliError(
      `invalid function name "${name}": use kebab-case (a-z, 0-9, single dashes), 2-50 characters, starting with a letter`,
    );
  }
  const dir = join(root, 'functions', name);
  if (existsSync(dir)) throw new CliError(`functions/${name} already exists`);
  if (!existsSync(templateDir)) throw new CliError(`function template not found at ${templateDir}`);

  cpSync(templateDir, dir, { recursive: true });
  const files: string[] = [];
  for (const file of walk(dir)) {
    const text = readFileSync(file, 'utf8');
    const named = text
      .replaceAll(NAME_PLACEHOLDER, name)
      .replaceAll(PASCAL_PLACEHOLDER, pascalCase(name));
    if (named !== text) writeFileSync(file, named);
    files.push(relative(dir, file));
  }
  return { dir, files: files.sort() };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/**
 * Formats the new function's files with the repository's Prettier (a root dev dependency), so the
 * scaffold passes `npm run format:check` as written. Skipped, and said so, when Prettier cannot be
 * loaded (e.g. the CLI installed outside the repository).
 */
export async function formatScaffold(dir: string, files: readonly string[]): Promise<boolean> {
  let prettier: Prettier;
  try {
    prettier = await import('prettier');
  } catch {
    return false;
  }
  for (const file of files) {
    const path = join(dir, file);
    const info = await prettier.getFileInfo(path);
    if (info.ignored || info.inferredParser === null) continue;
    const options = (await prettier.resolveConfig(path)) ?? {};
    const text = readFileSync(path, 'utf8');
    const formatted = await prettier.format(text, { ...options, filepath: path });
    if (formatted !== text) writeFileSync(path, formatted);
  }
  return true;
}
