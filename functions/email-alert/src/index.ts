import { defineFunction } from '@veba-functions/runtime';
import {
  connectNotifierRedis,
  createEmailTarget,
  createNotifier,
  createSmtpClient,
  disconnectNotifierRedis,
  resolveSmtpSettings,
} from '@veba-functions/notifier';
import { createStateGuards, type StateGuardsOptions } from '@veba-functions/state';
import { vsphereEventParser } from '@veba-functions/vsphere-events';
import { config, secretVariables, sensitiveKeys } from './config.js';
import { handle, type State } from './handler.js';

/** Options of {@link createEmailAlert} (tests; production uses the defaults). */
export interface EmailAlertOptions {
  /** Dedupe store options (default: Redis from `REDIS_URL`, else in memory). */
  state?: Pick<StateGuardsOptions, 'store' | 'storeOptions'>;
  /** Redis key prefix of the notifier (maintenance marks). */
  keyPrefix?: string;
}

/**
 * email-alert: one email per vSphere event its triggers select.
 *
 * Dedupe is on: a mail cannot be unsent, so a redelivered event (at-least-once delivery, VEBA's
 * replay after a restart) is stopped before it mails twice; should one slip through (a reply lost
 * after DATA), it carries the same Message-ID. Ordering is off: each mail stands alone with its
 * own vCenter time, and dropping a late alarm as "stale" would hide it.
 *
 * @example
 * await serve(createEmailAlert());
 */
export function createEmailAlert(options: EmailAlertOptions = {}) {
  let redis: Awaited<ReturnType<typeof connectNotifierRedis>>;
  let notifier: ReturnType<typeof createNotifier> | undefined;
  return defineFunction({
    name: 'email-alert',
    config,
    secretVariables,
    sensitiveKeys,
    // Every vSphere event its Triggers select: the Triggers are the filter (values.yaml).
    parse: vsphereEventParser(),
    guards: createStateGuards({ dedupe: true, ...options.state }),
    async init({ config: c, logger, metrics }): Promise<State> {
      const { settings, domain, warnings } = resolveSmtpSettings(c);
      for (const warning of warnings) logger.warn({}, warning);
      redis = await connectNotifierRedis(c, logger);
      notifier = createNotifier({
        target: createEmailTarget({ subjectPrefix: c.EMAIL_SUBJECT, domain }),
        client: createSmtpClient({
          ...settings,
          logger,
          metrics,
          timeoutMs: c.SMTP_TIMEOUT_SECONDS * 1000,
        }),
        logger,
        metrics,
        redis,
        suppressInMaintenance: c.NOTIFY_SUPPRESS_IN_MAINTENANCE,
        maintenanceTtlSeconds: c.NOTIFY_MAINTENANCE_TTL_SECONDS,
        ...(options.keyPrefix !== undefined ? { keyPrefix: options.keyPrefix } : {}),
      });
      logger.info(
        {
          smtpServer: `${settings.host}:${settings.port}`,
          security: settings.security,
          authenticated: settings.username !== undefined,
          recipients: settings.to.length,
          maintenance: notifier.maintenance,
        },
        'email-alert ready',
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
