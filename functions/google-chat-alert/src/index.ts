import { defineFunction } from '@veba-functions/runtime';
import {
  createNotifier,
  connectNotifierRedis,
  disconnectNotifierRedis,
  createGoogleChatTarget,
  resolveWebhookSettings,
  type NotifierOptions,
} from '@veba-functions/notifier';
import { createStateGuards, type StateGuardsOptions } from '@veba-functions/state';
import { vsphereEventParser } from '@veba-functions/vsphere-events';
import { GOOGLE_CHAT_KEYS, config, secretVariables, sensitiveKeys } from './config.js';
import { handle, type State } from './handler.js';

/** Options of {@link createGoogleChatAlert} (tests and benchmarks; production uses the defaults). */
export interface GoogleChatAlertOptions {
  /** Dedupe store options (default: Redis from `REDIS_URL`, else in memory). */
  state?: Pick<StateGuardsOptions, 'store' | 'storeOptions'>;
  /** Notifier overrides: pacing rate, digests, send window, 429 retries, Redis key prefix. */
  notifier?: Pick<
    NotifierOptions<unknown>,
    'rate' | 'digest' | 'minSendWindowMs' | 'maxRateLimitRetries' | 'keyPrefix'
  >;
}

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
  let redis: Awaited<ReturnType<typeof connectNotifierRedis>>;
  let notifier: ReturnType<typeof createNotifier> | undefined;
  return defineFunction({
    name: 'google-chat-alert',
    config,
    secretVariables,
    sensitiveKeys,
    // Every vSphere event its Triggers select: the Triggers are the filter (values.yaml).
    parse: vsphereEventParser(),
    guards: createStateGuards({ dedupe: true, ...options.state }),
    async init({ config: c, logger, metrics }): Promise<State> {
      const settings = resolveWebhookSettings(GOOGLE_CHAT_KEYS, c);
      redis = await connectNotifierRedis(c, logger);
      notifier = createNotifier({
        target: createGoogleChatTarget(),
        destination: settings.destination,
        logger,
        metrics,
        timeoutMs: c.GOOGLE_CHAT_TIMEOUT_MS,
        redis,
        suppressInMaintenance: c.NOTIFY_SUPPRESS_IN_MAINTENANCE,
        maintenanceTtlSeconds: c.NOTIFY_MAINTENANCE_TTL_SECONDS,
        ...options.notifier,
      });
      logger.info(
        {
          webhook: notifier.destination,
          pacing: notifier.pacing,
          maintenance: notifier.maintenance,
        },
        'google-chat-alert ready',
      );
      return { notifier };
    },
    handle,
    async shutdown() {
      notifier?.close();
      await disconnectNotifierRedis(redis);
    },
  });
}
