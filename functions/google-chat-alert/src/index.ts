import {
  createGoogleChatTarget,
  defineNotifierFunction,
  webhookAlertSetup,
  type NotifierFunctionOptions,
} from '@veba-functions/notifier';
import { GOOGLE_CHAT_KEYS, config, secretVariables, sensitiveKeys } from './config.js';
import { handle } from './handler.js';

/** Options of {@link createGoogleChatAlert} (tests and benchmarks; production uses the defaults). */
export type GoogleChatAlertOptions = NotifierFunctionOptions;

/**
 * google-chat-alert: one card message per vSphere event its triggers select, posted to a Google
 * Chat space through its incoming webhook; the events of one alarm on one object share a thread.
 *
 * Dedupe is on: a Chat webhook has no idempotency key, so a redelivered event would post
 * twice. Ordering is off: each message stands alone with its own vCenter time.
 *
 * @example
 * await serve(createGoogleChatAlert());
 */
export function createGoogleChatAlert(options: GoogleChatAlertOptions = {}) {
  return defineNotifierFunction(
    {
      name: 'google-chat-alert',
      config,
      secretVariables,
      sensitiveKeys,
      setup: webhookAlertSetup(GOOGLE_CHAT_KEYS, () => createGoogleChatTarget()),
      handle,
    },
    options,
  );
}
