import { defineFunction } from '@veba-functions/runtime';
import {
  createGoogleChatTarget,
  createNotifierLifecycle,
  resolveWebhookSettings,
  type NotifierFunctionOptions,
} from '@veba-functions/notifier';
import { createStateGuards } from '@veba-functions/state';
import { vsphereEventParser } from '@veba-functions/vsphere-events';
import {
  GOOGLE_CHAT_KEYS,
  config,
  secretVariables,
  sensitiveKeys,
  type GoogleChatAlertConfig,
} from './config.js';
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
  const lifecycle = createNotifierLifecycle({
    name: 'google-chat-alert',
    setup(c: GoogleChatAlertConfig) {
      const settings = resolveWebhookSettings(GOOGLE_CHAT_KEYS, c);
      return {
        target: createGoogleChatTarget(),
        destination: settings.destination,
        timeoutMs: c.GOOGLE_CHAT_TIMEOUT_MS,
        ready: { webhook: settings.destination.masked },
      };
    },
    overrides: options.notifier,
  });
  return defineFunction({
    name: 'google-chat-alert',
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
