import { defineFunction } from '@veba-functions/runtime';
import {
  createNotifierLifecycle,
  createSlackTarget,
  resolveWebhookSettings,
  type NotifierFunctionOptions,
} from '@veba-functions/notifier';
import { createStateGuards } from '@veba-functions/state';
import { vsphereEventParser } from '@veba-functions/vsphere-events';
import {
  SLACK_KEYS,
  config,
  secretVariables,
  sensitiveKeys,
  type SlackAlertConfig,
} from './config.js';
import { handle } from './handler.js';

/** Options of {@link createSlackAlert} (tests and benchmarks; production uses the defaults). */
export type SlackAlertOptions = NotifierFunctionOptions;

/**
 * slack-alert: one Slack message per vSphere event its triggers select.
 *
 * Dedupe is on: Slack's incoming webhooks have no idempotency key, so a redelivered event
 * (at-least-once delivery, VEBA's replay after a restart) must be stopped before it posts twice.
 * Ordering is off: each message stands alone and carries its own vCenter time; dropping a late
 * alarm as "stale" would hide it, and Slack shows messages in arrival order anyway.
 *
 * @example
 * await serve(createSlackAlert());
 */
export function createSlackAlert(options: SlackAlertOptions = {}) {
  const lifecycle = createNotifierLifecycle({
    name: 'slack-alert',
    setup(c: SlackAlertConfig) {
      const settings = resolveWebhookSettings(SLACK_KEYS, c);
      return {
        target: createSlackTarget({ pretext: settings.pretext }),
        destination: settings.destination,
        timeoutMs: c.SLACK_TIMEOUT_MS,
        ready: { webhook: settings.destination.masked, pretext: settings.pretext !== undefined },
      };
    },
    overrides: options.notifier,
  });
  return defineFunction({
    name: 'slack-alert',
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
