import { defineFunction } from '@veba-functions/runtime';
import { config, secretVariables, sensitiveKeys } from './config.js';
import { handle } from './handler.js';

/**
 * The echo function: logs every CloudEvent it receives and answers 204. Each call returns a new
 * definition (no state is shared between two instances in one process).
 *
 * @example
 * await serve(createEcho());
 */
export function createEcho() {
  return defineFunction({
    name: 'echo',
    config,
    secretVariables,
    sensitiveKeys,
    handle,
  });
}
