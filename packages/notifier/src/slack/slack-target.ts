/**
 * Slack incoming webhooks as a notification target.
 *
 * Answers (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks#handling_errors,
 * https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks): the body is
 * a plain string, `ok` on success, otherwise an error code:
 *
 * | status | codes | meaning |
 * |---|---|---|
 * | 200 | `ok` | posted |
 * | 400 | `invalid_payload`, `invalid_blocks`, `too_many_attachments`, `no_text`, ... | our message is wrong (500) |
 * | 403 | `action_prohibited`, `invalid_token`, `posting_to_general_channel_denied` | misconfiguration (502) |
 * | 404 | `channel_not_found`, `no_service`, `no_team`, `team_disabled` | the webhook is gone (502) |
 * | 410 | `channel_is_archived` | the channel is gone (502) |
 * | 429 | + `Retry-After` seconds | rate limited (https://docs.slack.dev/apis/web-api/rate-limits) |
 * | 5xx | `rollup_error`, ... | Slack is down (503) |
 */
import type { Notification } from '../model.js';
import { classifyCommon, type NotificationTarget } from '../target.js';
import {
  renderSlackDigest,
  renderSlackMessage,
  type SlackMessage,
  type SlackRenderOptions,
} from './slack-message.js';

/**
 * The Slack target: Block Kit messages, one message per second per webhook ("Incoming webhooks:
 * 1 per second, short bursts allowed", https://docs.slack.dev/apis/web-api/rate-limits).
 *
 * @example createSlackTarget({ pretext: ':rotating_light: vc-prod' })
 */
export function createSlackTarget(
  options: SlackRenderOptions = {},
): NotificationTarget<SlackMessage> {
  return {
    label: 'Slack',
    metricName: 'slack',
    rate: { perSecond: 1, burst: 1, source: 'https://docs.slack.dev/apis/web-api/rate-limits' },
    maxBodyBytes: undefined,
    render: (n: Notification) => renderSlackMessage(n, options),
    renderDigest: (ns: readonly Notification[]) => renderSlackDigest(ns, options),
    request: (message, url) => ({ url, body: message }),
    answerCode: (_status, body) => body.trim(),
    classify: classifyCommon,
    misconfiguredHint: "check the webhook URL, the channel and the app's installation",
  };
}
