/**
 * A Google Chat space's incoming webhook as a notification target.
 *
 * - Webhooks: https://developers.google.com/workspace/chat/quickstart/webhooks
 * - Rate: 60 message writes per minute per space, incoming webhooks included; past it, 429
 *   (https://developers.google.com/workspace/chat/limits)
 * - Errors are Google API errors: JSON `{ "error": { "code", "message", "status" } }`, e.g. 400
 *   `INVALID_ARGUMENT` (our message), 403 `PERMISSION_DENIED` / 404 `NOT_FOUND` (the webhook or
 *   the space is gone), 429 `RESOURCE_EXHAUSTED`, 503 `UNAVAILABLE`
 *   (https://cloud.google.com/apis/design/errors#handling_errors)
 */
import type { Notification } from '../model.js';
import { classifyCommon, jsonErrorCode, type NotificationTarget } from '../target.js';
import {
  GOOGLE_CHAT_MAX_BYTES,
  renderGoogleChatDigest,
  renderGoogleChatMessage,
  type GoogleChatMessage,
  type GoogleChatRenderOptions,
} from './google-chat-message.js';

/**
 * The Google Chat target: cards with a text fallback, alarms threaded, one message per second.
 *
 * @example createGoogleChatTarget()
 */
export function createGoogleChatTarget(
  options: GoogleChatRenderOptions = {},
): NotificationTarget<GoogleChatMessage> {
  return {
    label: 'Google Chat',
    metricName: 'google_chat',
    rate: { perSecond: 1, burst: 1, source: 'https://developers.google.com/workspace/chat/limits' },
    maxBodyBytes: GOOGLE_CHAT_MAX_BYTES,
    render: (n: Notification) => renderGoogleChatMessage(n, options),
    renderDigest: (ns: readonly Notification[]) => renderGoogleChatDigest(ns, options),
    request(message, destination) {
      if (message.thread === undefined) return { url: destination, body: message };
      // Without this option Chat ignores the thread key and starts a new thread.
      const url = new URL(destination.href);
      url.searchParams.set('messageReplyOption', 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
      return { url, body: message };
    },
    answerCode: (_status, body) => jsonErrorCode(body) ?? body.trim(),
    classify: classifyCommon,
    misconfiguredHint:
      "the webhook may have been deleted or the space removed: create a new webhook in the space's Apps & integrations",
  };
}
