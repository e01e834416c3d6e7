import {
  createSlackTarget,
  defineNotifierFunction,
  webhookAlertSetup,
  type NotifierFunctionOptions,
} from '@veba-functions/notifier';
import { SLACK_KEYS, config, secretVariables, sensitiveKeys } from './config.js';
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
  return defineNotifierFunction(
    {
      name: 'slack-alert',
      config,
      secretVariables,
      sensitiveKeys,
      setup: webhookAlertSetup(SLACK_KEYS, ({ pretext }) => createSlackTarget({ pretext })),
      handle,
    },
    options,
  );
}
