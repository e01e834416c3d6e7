import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import type { CliContext } from '../io.js';
import { devPort } from '../ports.js';
import { findRepoRoot } from '../repo.js';
import { formatScaffold, scaffoldFunction } from '../scaffold.js';

/** `veba-fn new <name>`: scaffolds functions/<name> from the template. */
export async function newCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const [name] = positionals;
  if (!name || positionals.length > 1) throw new UsageError('usage: veba-fn new <name>');
  const root = findRepoRoot(ctx.cwd);
  const { dir, files } = scaffoldFunction({ root, name });
  const formatted = await formatScaffold(dir, files);
  ctx.out(`created functions/${name}:`);
  for (const file of files) ctx.out(`  ${file}`);
  ctx.out('');
  ctx.out('next:');
  ctx.out(
    `  npm install                          # links the workspace, updates package-lock.json`,
  );
  ctx.out(`  npm run build && npm test -w @veba-functions/${name}`);
  ctx.out(`  npx veba-fn dev ${name}               # http://127.0.0.1:${devPort(name)}`);
  ctx.out(`  npx veba-fn send ${name} docs-use-eventspec__DrsVmPoweredOnEvent.json --times 2`);
  if (!formatted) ctx.out('  (Prettier not found: run `npm run format` before committing)');
  return 0;
}
