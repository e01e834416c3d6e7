import { defineFunction } from '@veba-functions/runtime';
import { createStateGuards } from '@veba-functions/state';
import { vsphereEventParser } from '@veba-functions/vsphere-events';
import { config, secretVariables, sensitiveKeys } from './config.js';
import { handle } from './handler.js';

/** The vSphere event classes the function acts on (a DRS cluster sends the first, others the second). */
export const EVENT_CLASSES = ['DrsVmPoweredOnEvent', 'VmPoweredOnEvent'];

/**
 * The function's definition. Each call returns a fresh one (its own guards and store), so a test
 * can run two instances side by side; importing this module has no side effect.
 *
 * @example
 * await serve(create__FUNCTION_PASCAL__());
 */
export function create__FUNCTION_PASCAL__() {
  return defineFunction({
    name: '__FUNCTION_NAME__', // also the metrics label and the dedupe namespace
    config,
    secretVariables,
    sensitiveKeys,
    // Each delivery is parsed once; the guards and the handler get the same VSphereEvent.
    parse: vsphereEventParser({ classes: EVENT_CLASSES }),
    // The broker delivers at least once and VEBA replays events after a restart: a duplicate
    // answers 200 "skipped" without running the handler (in memory, or Redis with REDIS_URL).
    guards: createStateGuards({ dedupe: true }),
    handle,
  });
}
