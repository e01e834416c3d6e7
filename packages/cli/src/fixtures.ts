import { existsSync } from 'node:fs';
import { vebaFixturesDir } from '@veba-functions/test-helpers';

/**
 * The VEBA sample corpus `send` resolves fixture names in (test-helpers' copy, with index.json), or
 * undefined when it is not there.
 */
export function defaultFixturesDir(_cwd?: string): string | undefined {
  return existsSync(vebaFixturesDir) ? vebaFixturesDir : undefined;
}
