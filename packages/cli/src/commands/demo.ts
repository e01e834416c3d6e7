import { parseArgs } from 'node:util';
import { DemoError } from '../demo/errors.js';
import { runDemo } from '../demo/run.js';
import { UsageError } from '../errors.js';
import type { CliContext } from '../io.js';
import { findRepoRoot } from '../repo.js';

export const DEMO_USAGE = `veba-fn demo [--build] [--quick] [--seed N] [--no-vcsim]

Runs the demo (npm run demo = veba-fn demo --build): starts every function of functions/ (vm-tag
twice: attach and detach) as \`node functions/<name>/dist/main.js\`, in parallel; local stand-ins
for Slack, Teams, Google Chat, an SMTP relay, PagerDuty and a Standard Webhooks receiver; vcsim
with its VEBA source emulator, one Redis and a broker emulation; drives real vSphere actions on
vcsim (a clone and a create by named users, power-ons and power-offs); delivers the VEBA sample
corpus and vcsim's events by each function's Triggers with duplicates, reordering and retries;
prints what happened, every number read from the functions' answers and /metrics, the stand-ins
and vcsim.

  --build      build the functions (turbo, cached) and vcsim first
  --quick      every fourth sample event and fewer vcsim actions
  --seed N     the delivery order (default 5)
  --no-vcsim   without vcsim (the functions that need it are skipped)

Exit code: 0; 1 when a function fails to start or a delivery ends without a 2xx/4xx answer.`;

/** \`veba-fn demo\`. */
export async function demoCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      build: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      seed: { type: 'string', default: '5' },
      'no-vcsim': { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new UsageError(`usage: ${DEMO_USAGE.split('\n')[0]}`);
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new UsageError(`--seed must be a whole number >= 0, not "${values.seed}"`);
  }
  try {
    const result = await runDemo({
      root: findRepoRoot(ctx.cwd),
      seed,
      build: values.build,
      quick: values.quick,
      vcsim: !values['no-vcsim'],
      out: (line) => ctx.out(line),
      signal: ctx.signal,
    });
    return result.exitCode;
  } catch (error) {
    if (!(error instanceof DemoError)) throw error;
    // One line per function that failed to start: its exit, last log line and log file.
    ctx.err(`demo failed: ${error.message}${error.failures.length > 0 ? ':' : ''}`);
    for (const failure of error.failures) ctx.err(`  ${failure.message}`);
    return error.exitCode;
  }
}
