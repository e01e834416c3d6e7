import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { defineFunction, serve } from '@veba-functions/runtime';
import { createStateGuards, type StateGuardsOptions } from '@veba-functions/state';
import { resolveSlackSettings, slackConfigShape } from './config.js';
import { handleSlackAlert, type SlackAlertState } from './handler.js';
import { createSlackWebhookClient, type SlackWebhookClientOptions } from './slack-webhook.js';

export { buildSlackMessage, eventFamily, BUDGET } from './slack-message.js';
export type {
  SlackMessage,
  SlackBlock,
  SlackAttachment,
  MessageInput,
  EventFamily,
} from './slack-message.js';
export {
  createSlackWebhookClient,
  maskWebhookUrl,
  parseRetryAfter,
  SlackPayloadError,
} from './slack-webhook.js';
export type {
  SlackWebhookClient,
  SlackWebhookClientOptions,
  PostOptions,
  WebhookLogger,
  WebhookResult,
} from './slack-webhook.js';
export { createPacer, PacerSlotUnavailableError } from './pacer.js';
export type { Pacer, PacerOptions } from './pacer.js';
export { resolveSlackSettings, slackConfigShape } from './config.js';
export type { SlackSettings } from './config.js';
export { handleSlackAlert, toMessageInput } from './handler.js';
export type { SlackAlertState, SlackAlertContext } from './handler.js';
export { SLACK_LIMITS, escapeMrkdwn, escapeAndTruncate, truncateText } from './slack-limits.js';

/** Options of {@link createSlackAlertFunction} (tests and the CLI; production uses the defaults). */
export interface SlackAlertFunctionOptions {
  /** Dedupe store options (default: Redis from `REDIS_URL`, else in-memory). */
  state?: Pick<StateGuardsOptions, 'store' | 'storeOptions'>;
  /** Overrides of the webhook client's pacing and retry settings. */
  webhook?: Pick<
    SlackWebhookClientOptions,
    'minIntervalMs' | 'minSendWindowMs' | 'maxRateLimitRetries'
  >;
}

/**
 * The slack-alert function: one Slack message per vSphere event its triggers select.
 *
 * Dedupe is on: Slack's incoming webhooks have no idempotency key, so a redelivered event
 * (at-least-once delivery, VEBA's replay after a restart) must be stopped before it posts twice.
 * Ordering is off: each message stands alone and carries its own vCenter timestamp, and holding
 * back or dropping a late alarm would hide it; Slack shows messages in arrival order.
 *
 * Each call builds fresh guards (and so a fresh store connection): one definition per instance.
 */
export function createSlackAlertFunction(options: SlackAlertFunctionOptions = {}) {
  return defineFunction({
    name: 'slack-alert',
    config: slackConfigShape,
    guards: createStateGuards({ dedupe: true, ...options.state }),
    init({ config, logger, metrics }): SlackAlertState {
      const settings = resolveSlackSettings(config);
      const slack = createSlackWebhookClient({
        url: settings.webhookUrl,
        timeoutMs: config.SLACK_TIMEOUT_MS,
        logger,
        metrics,
        ...options.webhook,
      });
      logger.info(
        { webhook: slack.target, pretext: settings.pretext !== undefined },
        'slack-alert ready',
      );
      return { slack, pretext: settings.pretext };
    },
    handle: (event, ctx) => handleSlackAlert(event, ctx),
  });
}

/** The function as the container runs it. */
export const slackAlert = createSlackAlertFunction();

// Started as the container's command (`node dist/index.js`); importing the module for tests does not serve.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  await serve(slackAlert);
}
