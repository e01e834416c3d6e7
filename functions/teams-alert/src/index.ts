import {
  createTeamsTarget,
  defineNotifierFunction,
  webhookAlertSetup,
  type NotifierFunctionOptions,
} from '@veba-functions/notifier';
import { TEAMS_KEYS, config, secretVariables, sensitiveKeys } from './config.js';
import { handle } from './handler.js';

/** Options of {@link createTeamsAlert} (tests and benchmarks; production uses the defaults). */
export type TeamsAlertOptions = NotifierFunctionOptions;

/**
 * teams-alert: one Adaptive Card per vSphere event its triggers select, posted to a Teams channel
 * through a Power Automate Workflows webhook.
 *
 * Dedupe is on: a Workflows webhook has no idempotency key, so a redelivered event would post
 * twice. Ordering is off: each card stands alone with its own vCenter time.
 *
 * @example
 * await serve(createTeamsAlert());
 */
export function createTeamsAlert(options: TeamsAlertOptions = {}) {
  return defineNotifierFunction(
    {
      name: 'teams-alert',
      config,
      secretVariables,
      sensitiveKeys,
      setup: webhookAlertSetup(TEAMS_KEYS, ({ pretext }) => createTeamsTarget({ pretext })),
      handle,
    },
    options,
  );
}
