import type { CloudEvent, Logger } from '@veba-functions/runtime';

/** Longest summary logged per event; vSphere payloads run to kilobytes. */
export const SUMMARY_MAX_LENGTH = 200;

/**
 * One line describing an event's data: a vSphere event's `FullFormattedMessage` when it has
 * one, otherwise the data as (truncated) JSON.
 */
export function summarize(data: unknown): string {
  if (data === undefined || data === null) return '(no data)';
  if (Buffer.isBuffer(data)) return `(${data.length} bytes of binary data)`;
  if (typeof data === 'object') {
    const message = (data as { FullFormattedMessage?: unknown }).FullFormattedMessage;
    if (typeof message === 'string' && message.length > 0) return truncate(oneLine(message));
  }
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return truncate(oneLine(text));
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

function truncate(text: string): string {
  return text.length > SUMMARY_MAX_LENGTH ? `${text.slice(0, SUMMARY_MAX_LENGTH - 1)}…` : text;
}

/** What the echo handler needs from the runtime's context. */
export interface EchoContext {
  logger: Pick<Logger, 'info'>;
}

/**
 * Logs the event's type, source, id and a one-line summary of its data, and returns nothing:
 * the runtime answers 204. (The runtime's child logger also carries ceId, ceType and ceSource
 * as fields; the message repeats them so the line reads on its own.)
 */
export function handleEcho(event: CloudEvent<unknown>, ctx: EchoContext): void {
  ctx.logger.info(`${event.type} from ${event.source} id ${event.id}: ${summarize(event.data)}`);
}
