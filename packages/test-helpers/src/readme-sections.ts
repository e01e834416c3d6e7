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
