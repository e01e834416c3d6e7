import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from './repo.js';

/**
 * The VEBA sample corpus (packages/test-helpers/fixtures/veba-events) of the repository `cwd` is
 * in, or undefined outside the repository.
 */
export function defaultFixturesDir(cwd: string): string | undefined {
  try {
    const dir = join(findRepoRoot(cwd), 'packages', 'test-helpers', 'fixtures', 'veba-events');
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}
