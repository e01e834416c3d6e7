import { defineFunction } from '@veba-functions/runtime';
import {
  createNotifier,
  connectNotifierRedis,
  disconnectNotifierRedis,
  createTeamsTarget,
  resolveWebhookSettings,
  type NotifierOptions,
} from '@veba-functions/notifier';
import { createStateGuards, type StateGuardsOptions } from '@veba-functions/state';
import { vsphereEventParser } from '@veba-functions/vsphere-events';
import { TEAMS_KEYS, config, secretVariables, sensitiveKeys } from './config.js';
import { handle, type State } from './handler.js';

/** Options of {@link createTeamsAlert} (tests and benchmarks; production uses the defaults). */
export interface TeamsAlertOptions {
  /** Dedupe store options (default: Redis from `REDIS_URL`, else in memory). */
  state?: Pick<StateGuardsOptions, 'store' | 'storeOptions'>;
  /** Notifier overrides: pacing rate, digests, send window, 429 retries, Redis key prefix. */
  notifier?: Pick<
    NotifierOptions<unknown>,
    'rate' | 'digest' | 'minSendWindowMs' | 'maxRateLimitRetries' | 'keyPrefix'
  >;
}

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
  let redis: Awaited<ReturnType<typeof connectNotifierRedis>>;
  let notifier: ReturnType<typeof createNotifier> | undefined;
  return defineFunction({
    name: 'teams-alert',
    config,
    secretVariables,
    sensitiveKeys,
    // Every vSphere event its Triggers select: the Triggers are the filter (values.yaml).
    parse: vsphereEventParser(),
    guards: createStateGuards({ dedupe: true, ...options.state }),
    async init({ config: c, logger, metrics }): Promise<State> {
      const settings = resolveWebhookSettings(TEAMS_KEYS, c);
      redis = await connectNotifierRedis(c, logger);
      notifier = createNotifier({
        target: createTeamsTarget({ pretext: settings.pretext }),
        destination: settings.destination,
        logger,
        metrics,
        timeoutMs: c.TEAMS_TIMEOUT_MS,
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
        'teams-alert ready',
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
