/**
 * Email as a notification target: the renderer part (one mail per event, no digests: every mail
 * carries its event's Message-ID, and a digest would mix identities). Sent by the SMTP client
 * (smtp-client.ts), not by the HTTP client policy. Not paced: SMTP relays publish no common rate;
 * a relay that defers (4xx) is retried by the broker.
 */
import type { Notification } from '../model.js';
import type { MessageRenderer } from '../target.js';
import { renderEmailMessage, type EmailMessage, type EmailRenderOptions } from './email-message.js';

/**
 * @example createEmailTarget({ subjectPrefix: '[vCenter]', domain: 'corp.com' })
 */
export function createEmailTarget(options: EmailRenderOptions = {}): MessageRenderer<EmailMessage> {
  return {
    label: 'email',
    metricName: 'email',
    rate: undefined,
    maxBodyBytes: undefined,
    render: (n: Notification) => renderEmailMessage(n, options),
    details: (message) => ({ messageId: message.messageId }),
  };
}
