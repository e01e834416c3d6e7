import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyFunctionDefinition } from '@veba-functions/runtime';
import { runtimeConfigShape } from '@veba-functions/runtime';

/**
 * The sections of every function's README, in this order (one template for the collection:
 * `packages/cli/templates/function/README.md`).
 */
export const FUNCTION_README_SECTIONS: readonly string[] = [
  'What it does',
  'Trigger types',
  'Side effects',
  'Configuration',
  'What it answers',
  'Run and test locally',
  'Deploy',
];

const KEY = /^`([A-Z][A-Z0-9_]*)`$/;

/** The `## ` headings of a Markdown text, in order (fenced code blocks skipped). */
export function readmeSections(markdown: string): string[] {
  const sections: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced && line.startsWith('## ')) sections.push(line.slice(3).trim());
  }
  return sections;
}

/** The keys named (as `` `KEY` ``) in the first column of the tables of one README section. */
export function readmeTableKeys(markdown: string, section: string): string[] {
  const keys: string[] = [];
  let inside = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('## ')) inside = line.slice(3).trim() === section;
    else if (inside && line.startsWith('|')) {
      const first = line.split('|')[1]?.trim() ?? '';
      for (const cell of first.split(',').map((part) => part.trim())) {
        const match = KEY.exec(cell);
        if (match) keys.push(match[1]!);
      }
    }
  }
  return keys;
}

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
