import { rawData, type CloudEvent, type HandlerContext } from '@veba-functions/runtime';
import type { EchoConfig } from './config.js';

/** Longest data text logged with `ECHO_LOG_DATA=true`. */
export const DATA_MAX_LENGTH = 2048;

/** What the handler gets: no state of its own, echo's config. */
export type EchoContext = HandlerContext<undefined, EchoConfig>;

/**
 * Logs one info line per event and returns nothing, so the runtime answers 204. The runtime's
 * per-event logger already carries the event's id, type and source (`ceId`, `ceType`,
 * `ceSource`); echo adds `subject` and `eventTime` (the event's `time`: pino's line already has a
 * `time`), and with `ECHO_LOG_DATA=true` the data.
 * Echo never reads a field of `data`: any valid CloudEvent is fine with it.
 */
export function handle(event: CloudEvent<unknown>, ctx: EchoContext): void {
  if (!ctx.config.ECHO_LOG_DATA) {
    ctx.logger.info({ subject: event.subject, eventTime: event.time }, 'event received');
    return;
  }
  ctx.logger.info(
    { subject: event.subject, eventTime: event.time, data: dataText(event) },
    'event received',
  );
}

/** The data as text: a binary-mode body as received, anything else as JSON, cut to 2 KiB. */
function dataText(event: CloudEvent<unknown>): string | undefined {
  const text = rawData(event)?.toString('utf8') ?? JSON.stringify(event.data);
  if (text === undefined || text.length <= DATA_MAX_LENGTH) return text;
  return `${text.slice(0, DATA_MAX_LENGTH - 1)}…`;
}
