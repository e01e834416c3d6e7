export { buildNotification, notificationOf } from './model.js';
export type { AlarmChange, Fact, Icon, Notification, Severity } from './model.js';
export { digestLine, digestTitle, familyCounts, worstSeverity } from './digest.js';
export { parseDestination, destinationOf, maskUrl } from './destination.js';
export type { Destination, ParseDestinationOptions } from './destination.js';
export { resolveWebhookSettings } from './webhook-settings.js';
export type { WebhookKeys, WebhookSettings } from './webhook-settings.js';
export { notifierConfigShape, timeoutKey } from './config.js';
export { TargetPayloadError, RateLimitedError } from './errors.js';
export { classifyCommon } from './target.js';
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
export { fitText, truncateText, escapeAngles } from './text.js';
export { jsonBytes } from './fit.js';
export { SLACK_LIMITS, escapeMrkdwn, escapeAndTruncate } from './slack/slack-limits.js';
export {
  BUDGET as SLACK_BUDGET,
  renderSlackMessage,
  renderSlackDigest,
  slackEmoji,
} from './slack/slack-message.js';
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
export { createTeamsTarget, retiredTeamsConnector, jsonErrorCode } from './teams/teams-target.js';
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
