import { defineFunction } from '@veba-functions/runtime';
import {
  createNotifier,
  connectNotifierRedis,
  disconnectNotifierRedis,
  createSlackTarget,
  resolveWebhookSettings,
  type NotifierOptions,
} from '@veba-functions/notifier';
import { createStateGuards, type StateGuardsOptions } from '@veba-functions/state';
import { vsphereEventParser } from '@veba-functions/vsphere-events';
import { SLACK_KEYS, config, secretVariables, sensitiveKeys } from './config.js';
import { handle, type State } from './handler.js';

/** Options of {@link createSlackAlert} (tests and benchmarks; production uses the defaults). */
export interface SlackAlertOptions {
  /** Dedupe store options (default: Redis from `REDIS_URL`, else in memory). */
  state?: Pick<StateGuardsOptions, 'store' | 'storeOptions'>;
  /** Notifier overrides: pacing rate, digests, send window, 429 retries, Redis key prefix. */
  notifier?: Pick<
    NotifierOptions<unknown>,
    'rate' | 'digest' | 'minSendWindowMs' | 'maxRateLimitRetries' | 'keyPrefix'
  >;
}

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
  let redis: Awaited<ReturnType<typeof connectNotifierRedis>>;
  let notifier: ReturnType<typeof createNotifier> | undefined;
  return defineFunction({
    name: 'slack-alert',
    config,
    secretVariables,
    sensitiveKeys,
    // Every vSphere event its Triggers select: the Triggers are the filter (values.yaml).
    parse: vsphereEventParser(),
    guards: createStateGuards({ dedupe: true, ...options.state }),
    async init({ config: c, logger, metrics }): Promise<State> {
      const settings = resolveWebhookSettings(SLACK_KEYS, c);
      redis = await connectNotifierRedis(c, logger);
      notifier = createNotifier({
        target: createSlackTarget({ pretext: settings.pretext }),
        destination: settings.destination,
        logger,
        metrics,
        timeoutMs: c.SLACK_TIMEOUT_MS,
        redis,
        suppressInMaintenance: c.NOTIFY_SUPPRESS_IN_MAINTENANCE,
        maintenanceTtlSeconds: c.NOTIFY_MAINTENANCE_TTL_SECONDS,
        ...options.notifier,
      });
      logger.info(
        {
          webhook: notifier.destination,
          pretext: settings.pretext !== undefined,
          pacing: notifier.pacing,
          maintenance: notifier.maintenance,
        },
        'slack-alert ready',
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
