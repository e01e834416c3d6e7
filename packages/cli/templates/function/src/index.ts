import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineFunction, serve } from '@veba-functions/runtime';
import { dedupe } from '@veba-functions/state';
import { parseVSphereEvent } from '@veba-functions/vsphere-events';
import { handleEvent } from './handler.js';

/**
 * The function: its name (also the metrics label and the dedupe namespace), its guards and how an
 * event reaches the handler. Tests start it in-process with `startFunction(fn, { port: 0 })`.
 */
export const fn = defineFunction({
  name: '__FUNCTION_NAME__',
  // The broker delivers at least once and VEBA replays events after a restart: a duplicate
  // answers 200 "skipped" without running the handler. State is in memory unless REDIS_URL is
  // set (then shared by every replica).
  guards: [dedupe()],
  handle(event, ctx) {
    const outcome = handleEvent(parseVSphereEvent(event));
    ctx.logger.info({ vm: outcome.vm }, outcome.message);
    return { status: 200, body: outcome };
  },
});

// `node dist/index.js` (the container's command) serves; importing this module does not.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await serve(fn);
}
