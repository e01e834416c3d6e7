import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyFunctionDefinition } from '@veba-functions/runtime';
import { runtimeConfigShape } from '@veba-functions/runtime';
import { FUNCTION_README_SECTIONS, readmeSections, readmeTableKeys } from './readme-sections.js';

/**
 * What is wrong with a function's README against its definition: a missing or misplaced section,
 * a configuration key of the function (its `config` shape and `secretVariables`) the
 * Configuration table does not list, or a key the table lists that the function does not read
 * (its own keys, its guards' keys and the runtime's keys are the ones it reads). Empty when the
 * README holds.
 *
 * @example
 * expect(functionReadmeProblems(new URL('..', import.meta.url).pathname, createEcho())).toEqual([]);
 */
export function functionReadmeProblems(
  functionDir: string,
  definition: AnyFunctionDefinition,
): string[] {
  const markdown = readFileSync(join(functionDir, 'README.md'), 'utf8');
  const problems: string[] = [];
  const sections = readmeSections(markdown);
  if (sections.join('|') !== FUNCTION_README_SECTIONS.join('|')) {
    problems.push(
      `README sections are [${sections.join(', ')}], expected [${FUNCTION_README_SECTIONS.join(', ')}]`,
    );
  }
  const own = [
    ...Object.keys((definition.config ?? {}) as object),
    ...(definition.secretVariables ?? []),
  ];
  const guardKeys = (definition.guards ?? []).flatMap((guard: { config?: object }) =>
    Object.keys(guard.config ?? {}),
  );
  const readable = new Set([...own, ...guardKeys, ...Object.keys(runtimeConfigShape)]);
  const listed = readmeTableKeys(markdown, 'Configuration');
  for (const key of own) {
    if (!listed.includes(key)) problems.push(`Configuration table misses ${key}`);
  }
  for (const key of listed) {
    if (!readable.has(key))
      problems.push(`Configuration table lists ${key}, which the function does not read`);
  }
  return problems;
}
