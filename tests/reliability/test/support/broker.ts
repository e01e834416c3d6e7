/**
 * Delivery as the Knative broker does it: a 409, 5xx, 408 or 429 (or a network error) is retried
 * with a backoff; anything else is final. Bounded in time, so a delivery that would be retried
 * forever (a claim stuck in progress) shows as such instead of hanging the test.
 */
import { sendCloudEvent, type CloudEventInput, type HttpReply } from '@veba-functions/test-helpers';

/** Statuses the broker retries (eventing: network errors, 5xx, 404, 408, 409, 429). */
export function retried(status: number): boolean {
  return status >= 500 || status === 404 || status === 408 || status === 409 || status === 429;
}

/** Every attempt of one delivery, and its final answer (undefined when it never got one in time). */
export interface Delivery {
  event: CloudEventInput;
  statuses: number[];
  final: HttpReply | undefined;
}

/**
 * Delivers `event` to `url` until a final answer or `withinMs`, waiting `backoffMs` (doubling to
 * 1 s) between attempts.
 */
export async function deliver(
  url: string,
  event: CloudEventInput,
  options: { withinMs?: number; backoffMs?: number } = {},
): Promise<Delivery> {
  const end = Date.now() + (options.withinMs ?? 15_000);
  let backoff = options.backoffMs ?? 50;
  const statuses: number[] = [];
  for (;;) {
    let reply: HttpReply | undefined;
    try {
      reply = await sendCloudEvent(url, event);
      statuses.push(reply.status);
    } catch {
      statuses.push(0);
    }
    if (reply !== undefined && !retried(reply.status)) return { event, statuses, final: reply };
    if (Date.now() + backoff > end) return { event, statuses, final: undefined };
    await new Promise((resolve) => setTimeout(resolve, backoff));
    backoff = Math.min(backoff * 2, 1000);
  }
}
