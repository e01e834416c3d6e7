import {
  startWebhookReceiver,
  type ReceiverKind,
  type WebhookReceiver,
} from '@veba-functions/notifier/testing';
import { eventsInMessage, isDigest } from './events-carried.js';
import type { Receiver, ReceiverSpec } from './receivers.js';

/** A chat webhook stand-in (Slack, Teams, Google Chat) as the demo counts it. */
export interface ChatReceiver extends Receiver {
  readonly kind: ReceiverKind;
  /** The webhook URL, shaped like the vendor's (its secret part included). */
  readonly url: string;
  /** The notifier's stand-in: every POST it got. */
  readonly receiver: WebhookReceiver;
  /** POSTs received: one per message, a digest included. */
  messages(): number;
  /** Events those messages carry: 1 per message, N per digest (read from the message). */
  eventsCarried(): number;
}

const VENDORS: ReadonlyMap<ReceiverKind, { name: string; stand: string }> = new Map([
  ['slack', { name: 'Slack', stand: 'Slack webhook stand-in (200 ok)' }],
  ['teams', { name: 'Teams', stand: 'Teams Workflows webhook stand-in (202)' }],
  ['google-chat', { name: 'Google Chat', stand: 'Google Chat webhook stand-in (200)' }],
]);

/**
 * The spec of one chat webhook stand-in: `startWebhookReceiver(kind)` of
 * `@veba-functions/notifier/testing`, which answers as the vendor documents (the documents are
 * cited there). Functions post to its `url`.
 */
export function chatWebhook(kind: ReceiverKind): ReceiverSpec<ChatReceiver> {
  const vendor = VENDORS.get(kind)!;
  return {
    id: kind,
    async start() {
      const receiver = await startWebhookReceiver(kind);
      // Only what the stand-in accepted (2xx) was delivered; a refused post (a message the vendor
      // would not take) is not a message received.
      const accepted = () =>
        receiver.posts.filter((post) => post.status !== undefined && post.status < 300);
      const messages = (): number => accepted().length;
      const eventsCarried = (): number =>
        accepted().reduce((n, post) => n + eventsInMessage(kind, post.body), 0);
      return {
        kind,
        url: receiver.url,
        address: receiver.url,
        receiver,
        messages,
        eventsCarried,
        counts() {
          const digests = accepted().filter((post) => isDigest(kind, post.body)).length;
          return [
            {
              result: `${vendor.name} messages received`,
              count: messages(),
              source: `local ${vendor.stand}; ${digests} of them storm digests`,
            },
            {
              result: `${vendor.name} events carried`,
              count: eventsCarried(),
              source: '1 per message, N per digest ("N vSphere events" in its title)',
            },
          ];
        },
        stop: () => receiver.close(),
      };
    },
  };
}

/** Slack's incoming webhook stand-in. */
export const slackWebhook = chatWebhook('slack');
/** The Teams Workflows webhook stand-in. */
export const teamsWebhook = chatWebhook('teams');
/** The Google Chat space webhook stand-in. */
export const googleChatWebhook = chatWebhook('google-chat');
