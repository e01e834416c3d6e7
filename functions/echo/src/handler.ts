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

const KEY = Buffer.from('"FullFormattedMessage"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

function skipSpace(body: Buffer, i: number): number {
  while (
    i < body.length &&
    (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)
  )
    i++;
  return i;
}

/**
 * {@link summarize} for a JSON body as received, without parsing it: echo only logs, and parsing
 * a whole vSphere event to read one field costs more than everything else the function does.
 * Finds the `FullFormattedMessage` string by its key and decodes just that string.
 */
export function summarizeJson(body: Buffer): string {
  // vSphere events put FullFormattedMessage near the end: search from there.
  const key = body.lastIndexOf(KEY);
  if (key !== -1) {
    let i = skipSpace(body, key + KEY.length);
    if (body[i] === COLON) {
      i = skipSpace(body, i + 1);
      const start = i;
      if (body[i] === QUOTE) {
        let escaped = false;
        i++;
        while (i < body.length && body[i] !== QUOTE) {
          if (body[i] === BACKSLASH) {
            escaped = true;
            i += 2;
          } else i++;
        }
        if (i < body.length && i > start + 1) {
          if (!escaped) return truncate(oneLine(body.toString('utf8', start + 1, i)));
          try {
            return truncate(oneLine(JSON.parse(body.toString('utf8', start, i + 1)) as string));
          } catch {
            // an invalid escape: fall back to the text itself
          }
        }
      }
    }
  }
  const head = body.toString('utf8', 0, Math.min(body.length, SUMMARY_MAX_LENGTH * 4));
  return truncate(oneLine(head).trim());
}

function oneLine(text: string): string {
  return text.includes('\n') || text.includes('\r') ? text.replace(/\s*[\r\n]+\s*/g, ' ') : text;
}

function truncate(text: string): string {
  return text.length > SUMMARY_MAX_LENGTH ? `${text.slice(0, SUMMARY_MAX_LENGTH - 1)}…` : text;
}

/** What the echo handler needs from the runtime's context. */
export interface EchoContext {
  logger: Pick<Logger, 'info'>;
}

/**
 * Logs a one-line summary of the event's data at info and returns nothing: the runtime answers
 * 204. The runtime's per-event logger adds the event's id, type and source to the line
 * (`ceId`, `ceType`, `ceSource`).
 */
export function handleEcho(event: CloudEvent<unknown>, ctx: EchoContext): void {
  const raw = rawData(event);
  ctx.logger.info(raw === undefined ? summarize(event.data) : summarizeJson(raw));
}
