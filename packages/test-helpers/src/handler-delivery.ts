import {
  mapError,
  type AnyFunctionDefinition,
  type CloudEvent,
  type HandleResult,
  type SkipResult,
} from '@veba-functions/runtime';
import type { LogCapture } from './function-harness.js';

/** What {@link deliverToHandler} saw: the status the runtime would answer, and why. */
export interface HandlerDelivery {
  status: number;
  /** The parser's skip, or the handler's result. */
  result?: HandleResult | void;
  /** What was thrown (its status is `mapError`'s). */
  error?: unknown;
  /** The handler's log messages (none when the parser skipped the event). */
  logs: string[];
}

/**
 * What the runtime does with one delivery, without HTTP or guards: the definition's `parse` once
 * (a skip answers 200), then its handler with `ctx`; a throw becomes the status `mapError` gives.
 * `level` picks the log messages returned for a handled event (default: all). `event` is the
 * CloudEvent as the runtime builds it (`new CloudEvent(attributes, false)`).
 *
 * @example
 * const ctx = handlerContext({ state });
 * const event = new CloudEvent<unknown>(fixtureEvent('kn-pcli-tag__test-payload.json'), false);
 * const answer = await deliverToHandler(createVmTag(), event, ctx);
 * expect(answer.status).toBe(200);
 */
export async function deliverToHandler(
  definition: AnyFunctionDefinition,
  event: CloudEvent<unknown>,
  ctx: Parameters<AnyFunctionDefinition['handle']>[1] & { logs: LogCapture },
  options: { level?: string } = {},
): Promise<HandlerDelivery> {
  try {
    const parsed: unknown = definition.parse === undefined ? event : definition.parse(event);
    if (isSkip(parsed)) return { status: 200, result: parsed, logs: [] };
    const result = await definition.handle(parsed, ctx);
    return { status: 200, result, logs: ctx.logs.messages(options.level) };
  } catch (error) {
    return { status: mapError(error).status, error, logs: ctx.logs.messages() };
  }
}

function isSkip(parsed: unknown): parsed is SkipResult {
  return typeof parsed === 'object' && parsed !== null && 'skipped' in parsed;
}
