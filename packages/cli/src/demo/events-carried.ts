import { isRecord } from '@veba-functions/runtime';
import type { ReceiverKind } from '@veba-functions/notifier/testing';

/**
 * A storm digest's title as the notifier renders it (`digestTitle`): `37 vSphere events`,
 * optionally `from <vCenter>`, after the icon on Slack (`:bell:`), Teams and Google Chat (`🔔`).
 */
const DIGEST_TITLE = /^(?:\S+ )?(\d+) vSphere events\b/u;

function firstHeaderText(blocks: unknown): unknown {
  if (!Array.isArray(blocks)) return undefined;
  const header: unknown = blocks.find((b) => isRecord(b) && b.type === 'header');
  return isRecord(header) && isRecord(header.text) ? header.text.text : undefined;
}

/** Where each vendor's message carries its title (the digest's count is in it). */
function titleOf(kind: ReceiverKind, body: Record<string, unknown>): unknown {
  if (kind === 'slack') return firstHeaderText(body.blocks);
  if (kind === 'teams') {
    // The Adaptive Card's fallbackText: the digest's title, a single event's own text.
    const attachment: unknown = Array.isArray(body.attachments) ? body.attachments[0] : undefined;
    return isRecord(attachment) && isRecord(attachment.content)
      ? attachment.content.fallbackText
      : undefined;
  }
  const card: unknown = Array.isArray(body.cardsV2) ? body.cardsV2[0] : undefined;
  if (!isRecord(card) || !isRecord(card.card) || !isRecord(card.card.header)) return undefined;
  return card.card.header.title;
}

/**
 * How many vSphere events one message a chat webhook received carries: N for a storm digest
 * ("N vSphere events", read from the message's title), 1 for any other message. A body that is
 * not a JSON object carries none.
 *
 * @example
 * eventsInMessage('slack', { blocks: [{ type: 'header', text: { text: ':bell: 12 vSphere events' } }] }); // 12
 */
export function eventsInMessage(kind: ReceiverKind, body: unknown): number {
  if (!isRecord(body)) return 0;
  const title = titleOf(kind, body);
  const match = typeof title === 'string' ? DIGEST_TITLE.exec(title) : null;
  return match ? Number(match[1]) : 1;
}

/** Whether a message is a storm digest (its title counts the events it folds). */
export function isDigest(kind: ReceiverKind, body: unknown): boolean {
  if (!isRecord(body)) return false;
  const title = titleOf(kind, body);
  return typeof title === 'string' && DIGEST_TITLE.test(title);
}
