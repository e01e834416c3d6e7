export { buildNotification, eventContext, notificationOf } from './model.js';
export type { AlarmChange, Fact, Icon, Notification, Severity } from './model.js';
export { digestTitle, familyCounts } from './digest.js';
export { parseDestination, destinationOf } from './destination.js';
export type { Destination, ParseDestinationOptions } from './destination.js';
export { resolveWebhookSettings } from './webhook-settings.js';
export type { WebhookKeys, WebhookSettings } from './webhook-settings.js';
export { notifierConfigShape, timeoutKey } from './config.js';
export { TargetPayloadError, RateLimitedError } from './errors.js';
export type { AnswerKind, NotificationTarget, TargetRequest } from './target.js';
export { createTargetClient } from './target-client.js';
export type {
  NotifierLogger,
  PostOptions,
  TargetClient,
  TargetClientOptions,
} from './target-client.js';
export { createMemoryRateLimiter } from './rate-limiter.js';
export type { RateLimit, RateLimiter, MemoryRateLimiterOptions } from './rate-limiter.js';
export { createRedisRateLimiter } from './redis-rate-limiter.js';
export type { RedisRateLimiterOptions } from './redis-rate-limiter.js';
export { connectNotifierRedis, disconnectNotifierRedis } from './redis-connection.js';
export { createDigestDispatcher } from './digest-dispatcher.js';
export type {
  Delivery,
  DeliverOptions,
  DigestDispatcher,
  DigestDispatcherOptions,
} from './digest-dispatcher.js';
export { createMemoryMaintenanceTracker, createRedisMaintenanceTracker } from './maintenance.js';
export type {
  MaintenanceTracker,
  MaintenanceTrackerOptions,
  RedisMaintenanceTrackerOptions,
} from './maintenance.js';
export { createNotifier } from './notifier.js';
export type { Notifier, NotifierOptions, NotifyContext, PostedBody } from './notifier.js';
export {
  createNotifierLifecycle,
  defineNotifierFunction,
  webhookAlertSetup,
} from './notifier-function.js';
export type {
  NotifierFunctionConfig,
  NotifierFunctionDefinition,
  NotifierFunctionOptions,
  NotifierLifecycle,
  NotifierLifecycleOptions,
  NotifierOverrides,
  NotifierSetupContext,
  NotifierState,
  NotifierTargetSetup,
  WebhookAlertKeys,
} from './notifier-function.js';
export { fitText, truncateText, escapeAngles } from './text.js';
export { jsonBytes } from './fit.js';
export { SLACK_LIMITS, escapeMrkdwn, escapeAndTruncate } from './slack/slack-limits.js';
export { renderSlackMessage, renderSlackDigest } from './slack/slack-message.js';
export type {
  SlackAttachment,
  SlackBlock,
  SlackMessage,
  SlackRenderOptions,
  TextObject,
} from './slack/slack-message.js';
export { createSlackTarget } from './slack/slack-target.js';
export {
  TEAMS_MAX_BYTES,
  renderTeamsMessage,
  renderTeamsDigest,
  teamsText,
} from './teams/teams-card.js';
export type {
  AdaptiveCard,
  CardElement,
  TeamsMessage,
  TeamsRenderOptions,
} from './teams/teams-card.js';
export { createTeamsTarget, retiredTeamsConnector } from './teams/teams-target.js';
export {
  GOOGLE_CHAT_MAX_BYTES,
  renderGoogleChatMessage,
  renderGoogleChatDigest,
  threadKeyOf,
} from './google-chat/google-chat-message.js';
export type {
  ChatWidget,
  GoogleChatMessage,
  GoogleChatRenderOptions,
} from './google-chat/google-chat-message.js';
export { createGoogleChatTarget } from './google-chat/google-chat-target.js';
export { createKeyedSequencer } from './sequencer.js';
export type { KeyedSequencer, SequencedResult } from './sequencer.js';
export type { HttpTarget, MessageRenderer } from './target.js';
export type { PostOutcome } from './target-client.js';
export type { DestinationOfOptions } from './destination.js';
export {
  EMAIL_LIMITS,
  emailMessageId,
  escapeHtml,
  renderEmailMessage,
} from './email/email-message.js';
export type { EmailMessage, EmailRenderOptions } from './email/email-message.js';
export { createEmailTarget } from './email/email-target.js';
export { createSmtpClient } from './email/smtp-client.js';
export type {
  SmtpClientOptions,
  SmtpSecurity,
  SmtpSendDetails,
  SmtpSettings,
} from './email/smtp-client.js';
export { classifySmtpFailure } from './email/smtp-failure.js';
export type { SmtpErrorLike, SmtpFailure, SmtpStage } from './email/smtp-failure.js';
export { resolveSmtpSettings } from './email/smtp-settings.js';
export type { ResolvedSmtpSettings, SmtpKeys } from './email/smtp-settings.js';
export {
  PAGERDUTY_LIMITS,
  alarmDedupKey,
  checkPagerDutyEvent,
  pagerDutyEventOf,
} from './pagerduty/pagerduty-event.js';
export type {
  PagerDutyAlertPayload,
  PagerDutyMessage,
  PagerDutySeverity,
} from './pagerduty/pagerduty-event.js';
export {
  PAGERDUTY_EVENTS_URL,
  changeEventsUrl,
  classifyPagerDuty,
  createPagerDutyTarget,
} from './pagerduty/pagerduty-target.js';
export type { PagerDutyTargetOptions } from './pagerduty/pagerduty-target.js';
export { parseSigningSecrets, signWebhook, webhookIdOf } from './webhook/standard-webhooks.js';
export type { SigningKey } from './webhook/standard-webhooks.js';
export { structuredCloudEvent } from './webhook/cloudevent-body.js';
export { classifyWebhookAnswer, createStandardWebhookTarget } from './webhook/webhook-target.js';
export type { StandardWebhookTargetOptions, WebhookMessage } from './webhook/webhook-target.js';
