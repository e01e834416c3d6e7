import { defineFunction } from '@veba-functions/runtime';
import {
  createNotifierLifecycle,
  createTeamsTarget,
  resolveWebhookSettings,
  type NotifierFunctionOptions,
} from '@veba-functions/notifier';
import { createStateGuards } from '@veba-functions/state';
import { vsphereEventParser } from '@veba-functions/vsphere-events';
import {
  TEAMS_KEYS,
  config,
  secretVariables,
  sensitiveKeys,
  type TeamsAlertConfig,
} from './config.js';
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
  const lifecycle = createNotifierLifecycle({
    name: 'teams-alert',
    setup(c: TeamsAlertConfig) {
      const settings = resolveWebhookSettings(TEAMS_KEYS, c);
      return {
        target: createTeamsTarget({ pretext: settings.pretext }),
        destination: settings.destination,
        timeoutMs: c.TEAMS_TIMEOUT_MS,
        ready: { webhook: settings.destination.masked, pretext: settings.pretext !== undefined },
      };
    },
    overrides: options.notifier,
  });
  return defineFunction({
    name: 'teams-alert',
    config,
    secretVariables,
    sensitiveKeys,
    // Every vSphere event its Triggers select: the Triggers are the filter (values.yaml).
    parse: vsphereEventParser(),
    guards: createStateGuards({ dedupe: true, ...options.state }),
    init: lifecycle.init,
    handle,
    shutdown: lifecycle.shutdown,
  });
}
