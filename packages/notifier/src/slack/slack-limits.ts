/**
 * Slack's documented size limits for what the notifier sends, and the escaping Slack requires.
 *
 * Sources:
 * - https://docs.slack.dev/reference/block-kit/blocks/section-block (text 3000, fields 10 x 2000)
 * - https://docs.slack.dev/reference/block-kit/blocks/header-block (plain_text, 150)
 * - https://docs.slack.dev/reference/block-kit/blocks (at most 50 blocks per message)
 * - https://docs.slack.dev/reference/methods/chat.postMessage (`text` is truncated past 40000
 *   characters; 4000 recommended)
 * - https://api.slack.com/reference/surfaces/formatting#escaping (escape `&`, `<`, `>`, only those)
 *
 * Slack also rejects messages whose blocks add up to roughly 12-13k characters even when each
 * block is within its own limit (slackapi/bolt-js#2509, `msg_blocks_too_long`), so the
 * renderer keeps the sum of all block text under `totalBlockText`.
 */
import { escapeAngles, fitText } from '../text.js';

export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  /** Hard limit is 40000; we stay at Slack's recommended 4000 for the notification fallback. */
  messageText: 4000,
  /** Our own cap on the sum of all block text, below the undocumented ~12k total. */
  totalBlockText: 10_000,
} as const;

/**
 * Escapes the three characters Slack's mrkdwn treats as control characters, so that event
 * content (VM names, user names, messages) can never form a link, a mention (`<!channel>`) or a
 * broken entity.
 *
 * @example escapeMrkdwn('a <b> & c') // 'a &lt;b&gt; &amp; c'
 */
export function escapeMrkdwn(raw: string): string {
  return escapeAngles(raw);
}

/**
 * Escapes `raw` for mrkdwn and cuts the result to at most `max` characters (UTF-16 code units,
 * which is what Slack counts), ending with an ellipsis when cut. Never splits an escape entity or
 * a surrogate pair, so the result is always valid text.
 */
export function escapeAndTruncate(raw: string, max: number): string {
  return fitText(raw, max, escapeAngles);
}
