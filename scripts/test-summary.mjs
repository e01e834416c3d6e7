// Adds up the vitest JSON reports of every workspace into one closing line,
// so a CI log ends with "N passed, N failed" whatever turbo printed before.
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// tests/reliability is a workspace (its report is in its folder); tests/deploy writes the root one.
const roots = ['packages', 'functions', 'tests'];
const reports = [];
for (const root of roots) {
  if (!existsSync(root)) continue;
  for (const name of readdirSync(root)) {
    const file = join(root, name, 'test-results.json');
    if (existsSync(file)) reports.push(file);
  }
}
if (existsSync('test-results.json')) reports.push('test-results.json');

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of reports) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
