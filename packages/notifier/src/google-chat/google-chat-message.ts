/**
 * Renders the message model for a Google Chat space's incoming webhook: a card (`cardsV2`: a
 * header, then sections of `decoratedText` widgets) with a plain `text` fallback, and a thread key
 * for alarms, so the events of one alarm on one object (red -> yellow -> green) read as one thread.
 *
 * - Webhooks: https://developers.google.com/workspace/chat/quickstart/webhooks (a thread is
 *   `thread.threadKey` in the body with `messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD`
 *   in the query; without that option the key is ignored)
 * - Card format: https://developers.google.com/workspace/chat/api/reference/rest/v1/cards
 *   (card text takes a subset of HTML, so event text is escaped; at most 100 widgets per card)
 * - Size: a message, text and cards together, is at most 32,000 bytes
 *   (https://developers.google.com/workspace/chat/create-messages)
 */
import { createHash } from 'node:crypto';
import { digestLine, digestTitle, familyCounts, moreLine, scaledDigestLines } from '../digest.js';
import { fitBytes, scaled, unicodeEmoji } from '../fit.js';
import { eventContext, type Notification } from '../model.js';
import { escapeAngles, fitText, truncateText } from '../text.js';

/** A card widget the renderer uses. */
export type ChatWidget =
  | { textParagraph: { text: string } }
  | { decoratedText: { topLabel?: string; text: string; wrapText: boolean } };

/** The JSON body POSTed to the webhook. */
export interface GoogleChatMessage {
  text: string;
  cardsV2: Array<{
    cardId: string;
    card: {
      header: { title: string; subtitle?: string };
      sections: Array<{ header?: string; widgets: ChatWidget[] }>;
    };
  }>;
  thread?: { threadKey: string };
}

/** Options of the Google Chat renderer. */
export interface GoogleChatRenderOptions {
  /** Text shown first in the fallback `text`. */
  pretext?: string | undefined;
}

/** Google Chat's documented limit (32,000 bytes), with a margin. */
export const GOOGLE_CHAT_MAX_BYTES = 30_000;

const BUDGET = {
  text: 1000,
  title: 200,
  subtitle: 200,
  summary: 4000,
  label: 60,
  value: 1000,
  detail: 4000,
  digestLines: 20,
  digestLine: 200,
} as const;

const ALARM_COLORS: ReadonlyMap<string, string> = new Map([
  ['red', '#d93025'],
  ['yellow', '#f9ab00'],
  ['green', '#188038'],
  ['gray', '#80868b'],
]);

/** Card text: HTML-escaped and cut without splitting an entity or a code point. */
function cardText(raw: string, max: number): string {
  return fitText(raw, max, escapeAngles);
}

/**
 * Plain message text: Chat reads `<users/...>` as a mention and `<url|text>` as a link, so angle
 * brackets from the event become look-alike brackets.
 */
function plainText(raw: string, max: number): string {
  return truncateText(raw.replace(/</g, '‹').replace(/>/g, '›'), max);
}

/** The thread key of a conversation (an alarm on one object): short and not the raw names. */
export function threadKeyOf(conversation: string): string {
  return `veba-${createHash('sha256').update(conversation).digest('hex').slice(0, 32)}`;
}

/**
 * One event as a Google Chat message.
 *
 * @example renderGoogleChatMessage(buildNotification(event))
 */
export function renderGoogleChatMessage(
  n: Notification,
  options: GoogleChatRenderOptions = {},
): GoogleChatMessage {
  return fitBytes(GOOGLE_CHAT_MAX_BYTES, (scale) => {
    const widgets: ChatWidget[] = [];
    if (scale > 0) {
      widgets.push({
        textParagraph: {
          text: cardText(n.detail ? n.headline : n.summary, scaled(BUDGET.summary, scale)),
        },
      });
    }
    if (n.alarm) {
      const color = ALARM_COLORS.get(n.alarm.status) ?? '#80868b';
      const change = n.alarm.from ? `${n.alarm.from} → ${n.alarm.to}` : n.alarm.to;
      widgets.push({
        decoratedText: {
          topLabel: 'Status',
          text: `<font color="${color}">${cardText(change, scaled(BUDGET.value, scale))}</font>`,
          wrapText: true,
        },
      });
    }
    const facts: ChatWidget[] =
      scale === 0
        ? []
        : n.facts
            .filter((f) => !(n.alarm && f.label === 'Status'))
            .slice(0, 90)
            .map((f) => ({
              decoratedText: {
                topLabel: truncateText(f.label, BUDGET.label),
                text: cardText(f.value, scaled(BUDGET.value, scale)),
                wrapText: true,
              },
            }));
    const sections: GoogleChatMessage['cardsV2'][number]['card']['sections'] = [];
    if (widgets.length > 0) sections.push({ widgets });
    if (facts.length > 0) sections.push({ header: 'Details', widgets: facts });
    if (scale > 0 && n.detail) {
      sections.push({
        header: truncateText(n.detail.label, BUDGET.label),
        widgets: [
          { textParagraph: { text: cardText(n.detail.text, scaled(BUDGET.detail, scale)) } },
        ],
      });
    }
    if (sections.length === 0)
      sections.push({ widgets: [{ textParagraph: { text: cardText(n.title, 200) } }] });
    const subtitle = eventContext(n);
    const message: GoogleChatMessage = {
      text: fallbackText(`${unicodeEmoji(n.icon)} ${n.title}: ${n.headline}`, options, scale),
      cardsV2: [
        {
          cardId: 'veba-event',
          card: {
            header: {
              title: plainTitle(`${unicodeEmoji(n.icon)} ${n.title}`, scaled(BUDGET.title, scale)),
              subtitle: plainTitle(subtitle, scaled(BUDGET.subtitle, scale)),
            },
            sections,
          },
        },
      ],
    };
    if (n.conversation) message.thread = { threadKey: threadKeyOf(n.conversation) };
    return message;
  });
}

/** Many events as one digest message (a new thread of its own). */
export function renderGoogleChatDigest(
  notifications: readonly Notification[],
  options: GoogleChatRenderOptions = {},
): GoogleChatMessage {
  const title = digestTitle(notifications);
  const counts = familyCounts(notifications);
  return fitBytes(GOOGLE_CHAT_MAX_BYTES, (scale) => {
    const lines = scaledDigestLines(
      notifications,
      scale,
      BUDGET.digestLines,
      (n) => `${unicodeEmoji(n.icon)} ${cardText(digestLine(n), scaled(BUDGET.digestLine, scale))}`,
      (count) => `<i>${moreLine(count)}</i>`,
    );
    return {
      text: fallbackText(
        `🔔 ${title}: ${counts.map((c) => `${c.count} ${c.name}`).join(', ')}`,
        options,
        scale,
      ),
      cardsV2: [
        {
          cardId: 'veba-digest',
          card: {
            header: {
              title: plainTitle(`🔔 ${title}`, BUDGET.title),
              subtitle:
                'Posted as one digest: these events arrived faster than the space accepts messages',
            },
            sections: [
              {
                header: 'Events',
                widgets: counts.map((c) => ({
                  decoratedText: { topLabel: c.name, text: String(c.count), wrapText: true },
                })),
              },
              { widgets: [{ textParagraph: { text: lines.join('<br>') } }] },
            ],
          },
        },
      ],
    };
  });
}

function fallbackText(raw: string, options: GoogleChatRenderOptions, scale: number): string {
  const pretext = options.pretext?.trim();
  const full = pretext ? `${pretext}\n${raw}` : raw;
  return plainText(full, scaled(BUDGET.text, scale));
}

/** Card header text is plain (no HTML): only cut it. */
function plainTitle(raw: string, max: number): string {
  return truncateText(raw, max);
}
