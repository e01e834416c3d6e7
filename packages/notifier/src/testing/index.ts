/**
 * Local stand-ins of the notification targets, for tests, benchmarks and the demo
 * (`@veba-functions/notifier/testing`). The SMTP stand-in is at `@veba-functions/notifier/testing/smtp`
 * (it needs the dev-only `smtp-server` and `mailparser`).
 */
export { startWebhookReceiver, googleError } from './webhook-receiver.js';
export type {
  ReceivedPost,
  ReceiverKind,
  ScriptedAnswer,
  WebhookReceiver,
  WebhookReceiverOptions,
} from './webhook-receiver.js';
export { startPagerDutyReceiver } from './pagerduty-receiver.js';
export type { PagerDutyReceiver } from './pagerduty-receiver.js';
export { startStandardWebhookReceiver, newWebhookSecret } from './standard-webhook-receiver.js';
export type { StandardWebhookReceiver } from './standard-webhook-receiver.js';
export type { RecordedAnswer, RecordedRequest } from './http-receiver.js';
