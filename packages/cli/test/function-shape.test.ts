import { mkdtempSync, rmSync, writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { functionShapeProblems } from '../src/function-shape.js';
import { listFunctionNames } from '../src/repo.js';
import { TEMPLATE_DIR } from '../src/scaffold.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const functions = listFunctionNames(repoRoot);

describe('the one function shape', () => {
  it('the repository has functions to check', () => {
    expect(functions.length).toBeGreaterThanOrEqual(3);
  });

  it.each(functions)('functions/%s has exactly the shape the template has', (name) => {
    expect(functionShapeProblems(join(repoRoot, 'functions', name))).toEqual([]);
  });

  it('the template itself has the shape', () => {
    expect(functionShapeProblems(TEMPLATE_DIR)).toEqual([]);
  });

  it('names a missing file, a file outside the shape and README sections out of order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'veba-shape-'));
    try {
      cpSync(TEMPLATE_DIR, dir, { recursive: true });
      rmSync(join(dir, 'src', 'main.ts'));
      writeFileSync(join(dir, 'src', 'slack-client.ts'), 'export {};\n');
      mkdirSync(join(dir, 'test', 'fixtures'), { recursive: true });
      writeFileSync(join(dir, 'test', 'fixtures', 'own-event.json'), '{}');
      writeFileSync(join(dir, 'README.md'), '# x\n\n## Configuration\n\n## What it does\n');
      expect(functionShapeProblems(dir)).toEqual([
        'missing src/main.ts',
        'src/slack-client.ts is not part of the function shape',
        expect.stringMatching(
          /^README sections are \[Configuration, What it does\], expected \[What it does, /,
        ),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
