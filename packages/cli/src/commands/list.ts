import { parseArgs } from 'node:util';
import { CliError, UsageError } from '../errors.js';
import { loadVebaFixtures, type VebaFixture } from '@veba-functions/test-helpers/fixtures';
import type { CliContext } from '../io.js';
import { devPort } from '../ports.js';
import { findRepoRoot, listFunctionNames, resolveFunctionDir } from '../repo.js';
import { readTriggers } from '../values.js';

/** `veba-fn list`: functions, their dev port and the event types their Triggers select. */
export function listCommand(argv: string[], ctx: CliContext): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  if (positionals.length > 0) throw new UsageError('usage: veba-fn list [--json]');
  const root = findRepoRoot(ctx.cwd);
  const rows = listFunctionNames(root).map((name) => {
    let triggers: string[];
    try {
      triggers = readTriggers(resolveFunctionDir(root, name)).map(
        (t) => t.type ?? JSON.stringify(t.attributes),
      );
    } catch (error) {
      throw new CliError(`functions/${name}/values.yaml: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return { name, port: devPort(name), triggers };
  });
  if (values.json) {
    ctx.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    ctx.out('no functions yet: veba-fn new <name>');
    return 0;
  }
  const width = Math.max(8, ...rows.map((r) => r.name.length)) + 2;
  ctx.out(`${'FUNCTION'.padEnd(width)}${'PORT'.padEnd(7)}TRIGGER TYPES`);
  for (const row of rows) {
    const [first = '(none)', ...rest] = row.triggers;
    ctx.out(`${row.name.padEnd(width)}${String(row.port).padEnd(7)}${first}`);
    for (const type of rest) ctx.out(`${''.padEnd(width + 7)}${type}`);
  }
  return 0;
}

/** `veba-fn fixtures`: the VEBA sample corpus `send` accepts by name. */
export function fixturesCommand(argv: string[], ctx: CliContext): number {
  if (argv.length > 0) throw new UsageError('usage: veba-fn fixtures');
  const fixtures = loadVebaFixtures();
  const width = Math.min(60, Math.max(...fixtures.map((f) => f.file.length))) + 2;
  ctx.out(`${'FILE'.padEnd(width)} ${'SHAPE'.padEnd(25)}TYPE SEND USES`);
  for (const fixture of fixtures) {
    const type = fixture.attributes?.type;
    const subject = fixture.attributes?.subject;
    const shown = type
      ? `${type}${subject ? ` (subject ${subject})` : ''}`
      : (fixture.eventType ?? '');
    ctx.out(`${fixture.file.padEnd(width)} ${fixtureShape(fixture).padEnd(25)}${shown}`);
  }
  return 0;
}

/** How `send` treats the sample, in a few words. */
function fixtureShape(fixture: VebaFixture): string {
  if (fixture.reason?.startsWith('not valid JSON')) return 'invalid JSON';
  if (fixture.mode === 'binary') return 'data + recorded headers';
  if (fixture.mode === 'data-only') return 'data only';
  return fixture.valid ? 'CloudEvent' : 'incomplete CloudEvent';
}
