import type { CloudEvent, HandleResult, HandlerContext } from '@veba-functions/runtime';
import {
  structuredCloudEvent,
  webhookIdOf,
  type TargetClient,
  type WebhookMessage,
} from '@veba-functions/notifier';
import { defaultIdentity } from '@veba-functions/state';
import type { WebhookForwardConfig } from './config.js';

/** What `init` builds once and every event shares: the signing client of the receiver. */
export interface State {
  client: TargetClient<WebhookMessage>;
}

/** What the handler gets from the runtime. */
export type Context = HandlerContext<State, WebhookForwardConfig>;

/**
 * Forwards one CloudEvent, as it arrived, in the structured JSON format, signed per Standard
 * Webhooks with a `webhook-id` from its identity (`source`, `id`; legacy router events: `source`,
 * `Key`), the same across retries:
 *
 * - data that is not JSON (a binary-mode body that does not parse) -> 400, nothing sent
 * - 200 `{ forwarded: true, webhookId }` once the receiver answered 2xx; its refusals map to 502
 *   (410, other 4xx, 3xx) or 503 (429, 5xx, timeouts, with its Retry-After), see README
 */
export async function handle(event: CloudEvent<unknown>, ctx: Context): Promise<HandleResult> {
  const identity = defaultIdentity(event) ?? { source: event.source, id: event.id };
  const webhookId = webhookIdOf(identity);
  const body = structuredCloudEvent(event);
  await ctx.state.client.post(
    { id: webhookId, body },
    { deadline: ctx.deadline, signal: ctx.signal, logger: ctx.logger },
  );
  ctx.logger.info(
    { webhookId, type: event.type, bytes: Buffer.byteLength(body) },
    `forwarded ${event.type} as ${webhookId}`,
  );
  return { status: 200, body: { forwarded: true, webhookId } };
}
