import {
  newWebhookSecret,
  startStandardWebhookReceiver,
  type StandardWebhookReceiver,
} from '@veba-functions/notifier/testing';
import type { Receiver, ReceiverSpec } from './receivers.js';

/** A Standard Webhooks receiver as the demo counts it. */
export interface SignedWebhookReceiver extends Receiver {
  /** `WEBHOOK_URL`. */
  readonly url: string;
  /** The two secrets of a rotation, new first (`WEBHOOK_SECRET`, space-separated). */
  readonly secrets: readonly string[];
  readonly receiver: StandardWebhookReceiver;
  /** Deliveries whose signature and timestamp verified (answered 204). */
  accepted(): number;
  /** Distinct `webhook-id`s among them, and the most deliveries one id got (1: no duplicate). */
  ids(): { distinct: number; most: number };
}

/**
 * `startStandardWebhookReceiver()` of `@veba-functions/notifier/testing` with two secrets, as
 * during a key rotation: it verifies each delivery as the Standard Webhooks spec says (cited
 * there; 204, or 401 for a bad signature or timestamp) and counts deliveries per `webhook-id`.
 */
export const signedWebhook: ReceiverSpec<SignedWebhookReceiver> = {
  id: 'standard-webhook',
  async start() {
    const receiver = await startStandardWebhookReceiver({
      secrets: [newWebhookSecret(), newWebhookSecret()],
    });
    const ids = (): { distinct: number; most: number } => ({
      distinct: receiver.deliveries.size,
      most: Math.max(0, ...receiver.deliveries.values()),
    });
    return {
      url: receiver.url,
      address: receiver.url,
      secrets: receiver.secrets,
      receiver,
      accepted: () => receiver.accepted.length,
      ids,
      counts() {
        const { distinct, most } = ids();
        const refused = receiver.requests.length - receiver.accepted.length;
        return [
          {
            result: 'signed webhooks accepted',
            count: receiver.accepted.length,
            source: `local Standard Webhooks receiver, 2 rotating secrets; ${refused} refused`,
          },
          {
            result: 'distinct webhook-ids',
            count: distinct,
            source: `the spec's idempotency key; most deliveries of one id: ${most}`,
          },
        ];
      },
      stop: () => receiver.close(),
    };
  },
};
