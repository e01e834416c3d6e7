#!/usr/bin/env node
import { runCli } from './cli.js';
import { processContext } from './io.js';

// `veba-fn fixtures | head`: a closed pipe is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const controller = new AbortController();
// The first Ctrl-C stops waits and child processes cleanly; `dev`'s child gets its own SIGINT too.
process.once('SIGINT', () => controller.abort());
process.once('SIGTERM', () => controller.abort());
process.exitCode = await runCli(process.argv.slice(2), processContext(controller.signal));
