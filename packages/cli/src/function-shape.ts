import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { FUNCTION_README_SECTIONS, readmeSections } from '@veba-functions/test-helpers/readme';

/**
 * The one shape of a function folder: exactly what `npm run new` writes, and what every folder
 * under `functions/` holds, so that copying any of them teaches the same lesson.
 */
export const FUNCTION_FILES: readonly string[] = [
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'vitest.config.ts',
  'values.yaml',
  'README.md',
  'src/config.ts',
  'src/handler.ts',
  'src/index.ts',
  'src/main.ts',
  'test/handler.test.ts',
  'test/http.test.ts',
];

/** Files a function has only when it needs them: its own error classes. */
export const OPTIONAL_FUNCTION_FILES: readonly string[] = ['src/errors.ts'];

/** Folders whose content is the function's own (purpose-made events for its tests). */
export const FREE_FOLDERS: readonly string[] = ['test/fixtures'];

/** Build output and tool state, never part of the shape. */
const IGNORED = new Set(['node_modules', 'dist', '.turbo', 'test-results.json']);

function walk(dir: string, root: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (IGNORED.has(entry)) return [];
    const path = join(dir, entry);
    const rel = relative(root, path).split(sep).join('/');
    if (FREE_FOLDERS.includes(rel)) return [];
    return statSync(path).isDirectory() ? walk(path, root) : [rel];
  });
}

/**
 * What makes a folder differ from the one function shape: a missing file, a file the shape does
 * not have (logic shared by functions belongs in a package), README sections that are not the
 * template's. Empty when it holds.
 *
 * @example
 * functionShapeProblems('functions/echo'); // []
 */
export function functionShapeProblems(dir: string): string[] {
  const problems: string[] = [];
  const present = new Set(walk(dir, dir));
  for (const file of FUNCTION_FILES) if (!present.has(file)) problems.push(`missing ${file}`);
  for (const file of present) {
    if (!FUNCTION_FILES.includes(file) && !OPTIONAL_FUNCTION_FILES.includes(file)) {
      problems.push(`${file} is not part of the function shape`);
    }
  }
  const readme = join(dir, 'README.md');
  if (existsSync(readme)) {
    const sections = readmeSections(readFileSync(readme, 'utf8'));
    if (sections.join('|') !== FUNCTION_README_SECTIONS.join('|')) {
      problems.push(
        `README sections are [${sections.join(', ')}], expected [${FUNCTION_README_SECTIONS.join(', ')}]`,
      );
    }
  }
  return problems;
}
