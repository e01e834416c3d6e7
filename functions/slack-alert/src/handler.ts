/**
 * The slack-alert handler: parse and check the vSphere event, build the message, post it.
 * Pure apart from the injected webhook client, so unit tests run it over the VEBA fixtures with a
 * fake client.
 */
import { type HandleResult } from '@veba-functions/runtime';
import {
  isVSphereType,
  parseVSphereEvent,
  type CloudEventLike,
  type VSphereEvent,
} from '@veba-functions/vsphere-events';
import {
  buildSlackMessage,
  eventFamily,
  type EventFamily,
  type MessageInput,
} from './slack-message.js';
import type { PostOptions, SlackWebhookClient, WebhookLogger } from './slack-webhook.js';

/** What `init` builds once and every event shares. */
export interface SlackAlertState {
  slack: Pick<SlackWebhookClient, 'post'>;
  /** `SLACK_MESSAGE_PRETEXT`. */
  pretext: string | undefined;
}

/** What the handler needs from the runtime's per-event context. */
export interface SlackAlertContext {
  state: SlackAlertState;
  logger: WebhookLogger;
  deadline: number;
  signal?: AbortSignal;
}

/**
 * Parses a CloudEvent into what the formatter needs, checking what the message is about.
 * Throws `InvalidEventError` (-> 400) naming the field for an unusable event: a broken envelope,
 * `data` that is not an object, no `Key` (every vCenter event has one), a VM event without a
 * well-formed `Vm`, a host maintenance event without a `Host`.
 *
 * @example
 * const { input, family } = toMessageInput(event, config.SLACK_MESSAGE_PRETEXT);
 */
export function toMessageInput(
  event: CloudEventLike,
  pretext?: string,
): { input: MessageInput; family: EventFamily; parsed: VSphereEvent } {
  const parsed = parseVSphereEvent(event);
  parsed.requireKey();
  const family = eventFamily(parsed.eventClass, parsed.data);
  if (family === 'vm') parsed.requireVm();
  if (family === 'host-maintenance') parsed.requireHost();
  return {
    input: { eventClass: parsed.eventClass, data: parsed.data, source: parsed.source, pretext },
    family,
    parsed,
  };
}

/**
 * Handles one event: a message per vSphere event, posted through the (paced) webhook client.
 * Events whose type is not a vSphere event type are skipped (200), not rejected: a trigger may
 * be broader than this function.
 */
export async function handleSlackAlert(
  event: CloudEventLike,
  ctx: SlackAlertContext,
): Promise<HandleResult> {
  // A plain boolean: the predicate's negation would narrow `type` to never.
  const vsphere: boolean = isVSphereType(event.type);
  if (!vsphere && typeof event.type === 'string' && event.type !== '') {
    return { skipped: `type ${event.type} is not a vSphere event type` };
  }
  const { input, family, parsed } = toMessageInput(event, ctx.state.pretext);
  const message = buildSlackMessage(input);
  const options: PostOptions = { deadline: ctx.deadline, logger: ctx.logger };
  if (ctx.signal) options.signal = ctx.signal;
  await ctx.state.slack.post(message, options);
  ctx.logger.info(
    { eventClass: parsed.eventClass, family, vcenterEventKey: parsed.key },
    `posted Slack message for ${parsed.eventClass} (event ${parsed.key ?? '?'})`,
  );
  return { status: 200, body: { posted: true, eventClass: parsed.eventClass, family } };
}
