/**
 * Microsoft Teams through a Power Automate Workflows webhook as a notification target.
 *
 * - The Workflows trigger answers 202 Accepted once the request is queued for the flow: done as
 *   far as the sender can know (https://learn.microsoft.com/en-us/power-automate/triggers-introduction
 *   and the trigger "When a Teams webhook request is received",
 *   https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook).
 * - Rate: "If more than four requests are made in a second, the client connection is throttled"
 *   and the size limit of 28 KB:
 *   https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook
 * - Errors come as JSON `{ "error": { "code", "message" } }` (Azure Logic Apps / Power Automate).
 * - Office 365 connector URLs (`*.webhook.office.com`, `outlook.office.com/webhook`) are retired:
 *   https://devblogs.microsoft.com/microsoft365dev/retirement-of-office-365-connectors-within-microsoft-teams/
 */
import type { Notification } from '../model.js';
import { classifyCommon, jsonErrorCode, type NotificationTarget } from '../target.js';
import {
  TEAMS_MAX_BYTES,
  renderTeamsDigest,
  renderTeamsMessage,
  type TeamsMessage,
  type TeamsRenderOptions,
} from './teams-card.js';

/**
 * The reason to refuse a retired Office 365 connector URL, or undefined for any other URL.
 *
 * @example retiredTeamsConnector(new URL('https://contoso.webhook.office.com/webhookb2/x')) // 'an Office 365 connector URL ...'
 */
export function retiredTeamsConnector(url: URL): string | undefined {
  const host = url.hostname.toLowerCase();
  const connector =
    host === 'webhook.office.com' ||
    host.endsWith('.webhook.office.com') ||
    ((host === 'outlook.office.com' || host === 'outlook.office365.com') &&
      url.pathname.toLowerCase().startsWith('/webhook'));
  if (!connector) return undefined;
  return (
    'this is an Office 365 connector URL (webhook.office.com), which Microsoft retired: in Teams, ' +
    "create a Workflows webhook (the 'Post to a channel when a webhook request is received' " +
    "template, trigger 'When a Teams webhook request is received') and use its URL"
  );
}

/**
 * The Teams target: Adaptive Cards, at most 4 requests per second per webhook.
 *
 * @example createTeamsTarget({ pretext: 'vc-prod' })
 */
export function createTeamsTarget(
  options: TeamsRenderOptions = {},
): NotificationTarget<TeamsMessage> {
  return {
    label: 'Microsoft Teams',
    metricName: 'teams',
    rate: {
      perSecond: 4,
      burst: 1,
      source:
        'https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook',
    },
    maxBodyBytes: TEAMS_MAX_BYTES,
    render: (n: Notification) => renderTeamsMessage(n, options),
    renderDigest: (ns: readonly Notification[]) => renderTeamsDigest(ns, options),
    request: (message, url) => ({ url, body: message }),
    answerCode: (_status, body) => jsonErrorCode(body) ?? body.trim(),
    classify: classifyCommon,
    misconfiguredHint:
      'the Workflows flow may be deleted, turned off or its owner gone: check the flow in Power Automate and its webhook URL',
  };
}
