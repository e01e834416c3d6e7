import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from './errors.js';

/** The template shipped with the CLI (packages/cli/templates/function). */
export const TEMPLATE_DIR = fileURLToPath(new URL('../templates/function/', import.meta.url));

/** The placeholder the template files carry, replaced by the new function's name. */
export const NAME_PLACEHOLDER = '__FUNCTION_NAME__';

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
    if (text.includes(NAME_PLACEHOLDER)) {
      writeFileSync(file, text.replaceAll(NAME_PLACEHOLDER, name));
    }
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
