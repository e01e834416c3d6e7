import { ConfigError, defineFunction } from '@veba-functions/runtime';
import {
  createStandardWebhookTarget,
  createTargetClient,
  parseDestination,
  parseSigningSecrets,
} from '@veba-functions/notifier';
import { createStateGuards, type StateGuardsOptions } from '@veba-functions/state';
import { config, secretVariables, sensitiveKeys } from './config.js';
import { handle, type State } from './handler.js';

/** Options of {@link createWebhookForward} (tests; production uses the defaults). */
export interface WebhookForwardOptions {
  /** Dedupe store options (default: Redis from `REDIS_URL`, else in memory). */
  state?: Pick<StateGuardsOptions, 'store' | 'storeOptions'>;
}

/**
 * webhook-forward: every CloudEvent its triggers select, POSTed to one receiver, signed per the
 * Standard Webhooks specification.
 *
 * Dedupe is on: a webhook must arrive once per event (and should one be sent twice, after a lost
 * answer, its `webhook-id` is the same, the receiver's idempotency key). Ordering is off: every
 * event is forwarded, late ones included; the receiver has the vCenter `Key` and time to order by.
 *
 * @example
 * await serve(createWebhookForward());
 */
export function createWebhookForward(options: WebhookForwardOptions = {}) {
  return defineFunction({
    name: 'webhook-forward',
    config,
    secretVariables,
    sensitiveKeys,
    guards: createStateGuards({ dedupe: true, ...options.state }),
    init({ config: c, logger, metrics }): State {
      const [key, raw] =
        c.WEBHOOK_URL !== undefined && c.WEBHOOK_URL.trim() !== ''
          ? ['WEBHOOK_URL', c.WEBHOOK_URL]
          : ['ZAPIER_WEBHOOK_URL', c.ZAPIER_WEBHOOK_URL];
      if (raw === undefined || raw.trim() === '') {
        throw new ConfigError([
          'WEBHOOK_URL: missing (looked in env WEBHOOK_URL, env ZAPIER_WEBHOOK_URL and JSON secrets WEBHOOK_SECRET_JSON and ZAPIER_SECRET)',
        ]);
      }
      if (c.WEBHOOK_SECRET === undefined || c.WEBHOOK_SECRET.trim() === '') {
        throw new ConfigError([
          'WEBHOOK_SECRET: missing (one or more whsec_ secrets separated by spaces; looked in env WEBHOOK_SECRET and JSON secret WEBHOOK_SECRET_JSON)',
        ]);
      }
      const keys = parseSigningSecrets(c.WEBHOOK_SECRET, 'WEBHOOK_SECRET');
      const destination = parseDestination(raw, {
        key,
        from: key,
        secrets: keys.flatMap((k) => k.secrets),
      });
      const client = createTargetClient({
        target: createStandardWebhookTarget({ keys }),
        destination,
        logger,
        metrics,
        timeoutMs: c.WEBHOOK_TIMEOUT_SECONDS * 1000,
      });
      logger.info(
        { webhook: destination.masked, signingSecrets: keys.length, urlKey: key },
        'webhook-forward ready',
      );
      return { client };
    },
    handle,
  });
}
