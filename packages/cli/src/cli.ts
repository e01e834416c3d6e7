import { readFileSync } from 'node:fs';
import { demoCommand, DEMO_USAGE } from './commands/demo.js';
import { devCommand, DEV_USAGE } from './commands/dev.js';
import { fixturesCommand, listCommand } from './commands/list.js';
import { newCommand } from './commands/new.js';
import { renderCommand, RENDER_USAGE } from './commands/render.js';
import { sendCommand, SEND_USAGE } from './commands/send.js';
import { CliError, describeError } from './errors.js';
import type { CliContext } from './io.js';

export const USAGE = `veba-fn: the local loop for veba-functions

  veba-fn dev <function> [--env-file .env] [--port N]   run a function in watch mode
  veba-fn send <function|url> <fixture|file> [options]  deliver an event like the broker
  veba-fn new <name>                                    scaffold functions/<name>
  veba-fn list [--json]                                 functions, dev ports, trigger types
  veba-fn render <function> [--namespace NS] [--tag T]  Knative Service + Triggers as YAML
  veba-fn fixtures                                      the VEBA sample events send accepts
  veba-fn demo [--build] [--quick] [--seed N]          the demo: functions, vcsim, a broker emulation

veba-fn <command> --help for a command's options.`;

const HELP: Record<string, string> = {
  dev: DEV_USAGE,
  send: SEND_USAGE,
  new: 'veba-fn new <name>\n\nCreates functions/<name> from packages/cli/templates/function.',
  list: 'veba-fn list [--json]\n\nPrints each function, its dev port and the trigger types of its values.yaml.',
  render: RENDER_USAGE,
  fixtures: 'veba-fn fixtures\n\nLists the VEBA sample corpus files send accepts by name.',
  demo: DEMO_USAGE,
};

/**
 * Runs one CLI invocation and returns its exit code; errors a user can fix are printed on one
 * line (exit 2), anything else with its stack (exit 1).
 *
 * @example process.exitCode = await runCli(process.argv.slice(2), processContext());
 */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      const topic = command === 'help' ? rest[0] : undefined;
      ctx.out(topic && HELP[topic] ? HELP[topic] : USAGE);
      return 0;
    }
    if (command === '--version' || command === '-v') {
      const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
        version: string;
      };
      ctx.out(pkg.version);
      return 0;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      const help = HELP[command];
      if (help) {
        ctx.out(help);
        return 0;
      }
    }
    switch (command) {
      case 'send':
        return await sendCommand(rest, ctx);
      case 'dev':
        return await devCommand(rest, ctx);
      case 'new':
        return await newCommand(rest, ctx);
      case 'list':
        return listCommand(rest, ctx);
      case 'render':
        return renderCommand(rest, ctx);
      case 'fixtures':
        return fixturesCommand(rest, ctx);
      case 'demo':
        return await demoCommand(rest, ctx);
      default:
        throw new CliError(`unknown command "${command}" (veba-fn --help lists them)`);
    }
  } catch (error) {
    if (error instanceof CliError) {
      ctx.err(`veba-fn: ${describeError(error)}`);
      return error.exitCode;
    }
    if ((error as Error | null)?.name === 'AbortError') {
      ctx.err('veba-fn: interrupted');
      return 130;
    }
    if (isParseArgsError(error)) {
      ctx.err(`veba-fn ${command}: ${describeError(error)}`);
      return 2;
    }
    ctx.err(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return 1;
  }
}

/** node:util parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for bad options. */
function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
