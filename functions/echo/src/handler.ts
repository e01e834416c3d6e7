import { rawData } from '@veba-functions/runtime';
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

const KEY = '"FullFormattedMessage"';
/** The string value after the key: JSON string syntax, escapes included. */
const MESSAGE_VALUE = /\s*:\s*"((?:[^"\\]|\\.)*)"/y;

/**
 * {@link summarize} for a JSON body as received, without parsing it: echo only logs, and parsing
 * a vSphere event to read one field costs more than everything else the function does.
 */
export function summarizeJsonText(text: string): string {
  const key = text.indexOf(KEY);
  if (key !== -1) {
    MESSAGE_VALUE.lastIndex = key + KEY.length;
    const match = MESSAGE_VALUE.exec(text);
    if (match !== null && match[1] !== undefined && match[1] !== '') {
      try {
        return truncate(oneLine(JSON.parse(`"${match[1]}"`) as string));
      } catch {
        // an invalid escape: fall through to the text itself
      }
    }
  }
  return truncate(oneLine(text.slice(0, SUMMARY_MAX_LENGTH * 4)).trim());
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
  const raw = rawData(event);
  const summary = raw === undefined ? summarize(event.data) : summarizeJsonText(raw);
  ctx.logger.info(`${event.type} from ${event.source} id ${event.id}: ${summary}`);
}
