import {
  createEmailTarget,
  createSmtpClient,
  defineNotifierFunction,
  resolveSmtpSettings,
  type NotifierFunctionOptions,
} from '@veba-functions/notifier';
import { config, secretVariables, sensitiveKeys } from './config.js';
import { handle } from './handler.js';

/** Options of {@link createEmailAlert} (tests; production uses the defaults): the Redis key prefix of the notifier (maintenance marks). */
export type EmailAlertOptions = NotifierFunctionOptions<'keyPrefix'>;

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
  return defineNotifierFunction(
    {
      name: 'email-alert',
      config,
      secretVariables,
      sensitiveKeys,
      setup(c, { logger, metrics }) {
        const { settings, domain, warnings } = resolveSmtpSettings(c);
        for (const warning of warnings) logger.warn({}, warning);
        return {
          target: createEmailTarget({ subjectPrefix: c.EMAIL_SUBJECT, domain }),
          client: createSmtpClient({
            ...settings,
            logger,
            metrics,
            timeoutMs: c.SMTP_TIMEOUT_SECONDS * 1000,
          }),
          ready: {
            smtpServer: `${settings.host}:${settings.port}`,
            security: settings.security,
            authenticated: settings.username !== undefined,
            recipients: settings.to.length,
          },
        };
      },
      handle,
    },
    options,
  );
}
